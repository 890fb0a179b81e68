"""Generation numbers in an output directory, and publishing one generation atomically.

`OUT/<n>/` holds generation n. A build claims its number by creating a hidden staging
directory `OUT/.staging-<n>-*` (owned, see `ownership`) while it holds a lock on OUT, so
two builds into one OUT at once get consecutive numbers. It renames the staging directory
into place only when everything is written, so an interrupted or failed build leaves no
`OUT/<n>/` behind (and no OUT at all if the build created it). Staging directories of
builds that were killed are removed by the next build.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.errors import BuildError, OutputExistsError
from pydeclos.build.ownership import OWNER_LOCK, create_owned, is_abandoned, owned_candidates

STAGING_PREFIX = ".staging-"
STAGING_NAME = re.compile(rf"{re.escape(STAGING_PREFIX)}(\d+)-")


def existing_versions(out: Path) -> list[int]:
    if not out.is_dir():
        return []
    return sorted(int(p.name) for p in out.iterdir() if p.name.isdigit() and p.is_dir())


def next_version(out: Path) -> int:
    """One more than the newest generation in `out`, or 1."""
    versions = existing_versions(out)
    return versions[-1] + 1 if versions else 1


def latest(out: Path) -> Path | None:
    versions = existing_versions(out)
    return out / str(versions[-1]) if versions else None


def check_free(out: Path, version: int) -> None:
    if (out / str(version)).exists():
        raise OutputExistsError(
            f"generation {version} already exists in {out / str(version)}; a generation is "
            f"never overwritten. Leave out --version to build {next_version(out)}, or remove "
            "that directory first."
        )


def check_output_dir(out: Path) -> None:
    """Fail at once if `out` cannot become an output directory (before any slow step)."""
    try:
        _check_output_dir(out)
    except OSError as error:
        raise BuildError(f"the output {out} cannot be used: {error.strerror} "
                         f"({error.filename}); choose an -o you can write to") from None


def _check_output_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError(f"the output {out} exists and is not a directory; give -o a "
                         "directory (generation N goes to OUT/N/)")
    existing = out.absolute()
    while not existing.exists() and not existing.is_symlink():
        existing = existing.parent
    if not existing.is_dir():
        raise BuildError(f"the output {out} cannot be created: {existing} is not a "
                         "directory; choose another -o")
    problem = None
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        problem = "is on a read-only file system"
    elif not os.access(existing, os.W_OK | os.X_OK, effective_ids=True):
        problem = "is not writable for you"
    if problem:
        raise BuildError(f"the output {out} cannot be written: {existing} {problem}; "
                         "choose an -o you can write to")


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the lock on the output directory (an flock on the directory itself).

    A directory and not a lock file inside it, so that a failed first build can still
    remove the OUT it created; if it was removed while we waited, it is created again."""
    while True:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink > 0:  # still there
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


def live_staging(out: Path) -> dict[int, Path]:
    """Versions being built into `out` right now; removes the staging of killed builds."""
    live: dict[int, Path] = {}
    for path in owned_candidates(out, STAGING_PREFIX):
        match = STAGING_NAME.match(path.name)
        if is_abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
        elif match:
            live[int(match.group(1))] = path
    return live


def _claim(out: Path, version: int | None) -> int:
    live = live_staging(out)
    if version is None:
        return max([*existing_versions(out), *live, 0]) + 1
    check_free(out, version)
    if version in live:
        raise OutputExistsError(
            f"generation {version} is being built into {out} right now by another pydeclos "
            f"build ({live[version].name}); leave out --version to build the next one"
        )
    return version


@dataclass(frozen=True)
class Slot:
    """A claimed generation: its number and the directory to build it in."""

    version: int
    stage: Path


@contextmanager
def reserve(out: Path, version: int | None = None) -> Iterator[Slot]:
    """Claim generation `version` (default: the next free one) in `out`.

    The body builds into `slot.stage`; when it returns, the stage becomes `out/<version>`.
    On an error (or interrupt) it is removed, and so is `out` if this call created it.
    """
    created_out = not out.exists()
    with locked(out):
        number = _claim(out, version)
        owned = create_owned(out, f"{STAGING_PREFIX}{number}-")
    stage = owned.path
    try:
        yield Slot(number, stage)
        with locked(out):
            check_free(out, number)
            os.chmod(stage, 0o755)
            (stage / OWNER_LOCK).unlink()
            os.rename(stage, out / str(number))
    finally:
        owned.release()
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
            if created_out:
                with locked(out):
                    try:
                        out.rmdir()
                    except OSError as error:
                        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                            raise


@contextmanager
def staging(out: Path, version: int) -> Iterator[Path]:
    """A directory to build generation `version` in; renamed to `out/<version>` on success."""
    with reserve(out, version) as slot:
        yield slot.stage
