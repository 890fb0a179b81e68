"""Generation numbers in an output directory, and publishing one generation atomically.

`OUT/<n>/` holds generation n. A build works in a hidden staging directory beside it and
renames it into place only when everything is written, so an interrupted or failed build
leaves no `OUT/<n>/` behind (and no OUT at all if the build created it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydeclos.build.errors import OutputExistsError

STAGING_PREFIX = ".staging-"


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


@contextmanager
def staging(out: Path, version: int) -> Iterator[Path]:
    """A directory to build generation `version` in; renamed to `out/<version>` on success."""
    created_out = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{version}-", dir=out))
    try:
        yield stage
        check_free(out, version)
        os.chmod(stage, 0o755)
        os.rename(stage, out / str(version))
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
            if created_out and not any(out.iterdir()):
                out.rmdir()
