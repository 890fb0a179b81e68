"""Running mkosi on a build tree: `summary` to validate and name things, `build` to build.

The caches live outside the tree and the output directory (default /var/cache/pydeclos):
mkosi's package cache and its incremental image cache, so that a build whose packages did
not change installs nothing again.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydeclos.build.errors import (
    BuildError,
    MkosiFailedError,
    PackageNotFoundError,
    PartitionTooSmallError,
    TreeInvalidError,
)
from pydeclos.build.host import SYSTEM_PATH, HostTools
from pydeclos.build.progress import Progress
from pydeclos.build.space import DiskSpaceError, Need, SpaceWatch

DEFAULT_CACHE = Path("/var/cache/pydeclos")
STOP_GRACE_SECONDS = 30.0
LOCK_PHASE = "wait for cache lock"


@dataclass(frozen=True)
class CacheDirs:
    """Where mkosi keeps what outlives one build."""

    packages: Path
    incremental: Path
    workspace: Path
    logs: Path

    @classmethod
    def under(cls, root: Path) -> CacheDirs:
        return cls(root / "packages", root / "incremental", root / "workspace", root / "logs")

    def create(self) -> None:
        for directory in (self.packages, self.incremental, self.workspace, self.logs):
            directory.mkdir(parents=True, exist_ok=True)

    def prune_logs(self, keep: int = 30) -> None:
        """Drop all but the newest `keep` build logs (each generation keeps its own copy)."""
        logs = sorted(self.logs.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in logs[keep:]:
            old.unlink(missing_ok=True)


@contextmanager
def exclusive(cache: CacheDirs, progress: Progress) -> Iterator[None]:
    """One mkosi at a time per cache: mkosi runs apt without its locks, and two builds
    writing the same incremental cache would corrupt it."""
    with (cache.packages / ".pydeclos-build.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Its own phase, so the wait is not counted as whatever ran before (lowering).
            progress.phase(LOCK_PHASE)
            progress.message(f"waiting for the cache lock: another pydeclos build uses "
                             f"{cache.packages.parent}…")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def default_cache() -> CacheDirs:
    """/var/cache/pydeclos, or $PYDECLOS_CACHE."""
    return CacheDirs.under(Path(os.environ.get("PYDECLOS_CACHE", DEFAULT_CACHE)))


@dataclass(frozen=True)
class TreeSummary:
    """What mkosi makes of a tree: the names the artifacts will carry."""

    image_id: str
    distribution: str
    release: str
    raw: dict[str, Any]


def summary(tree: Path, tools: HostTools) -> TreeSummary:
    """`mkosi --json summary`: parses the tree without building (unknown keys fail here)."""
    result = subprocess.run(
        [tools.mkosi, "-C", str(tree), "--json", "summary"],
        capture_output=True, text=True, env={**os.environ, "PATH": tools.path},
    )
    if result.returncode != 0:
        raise TreeInvalidError(
            f"mkosi does not accept the build tree {tree}:\n{result.stderr.strip()}\n"
            "If the tree came from `pydeclos lower`, this is a pydeclos bug; otherwise fix "
            "the setting mkosi names."
        )
    images = json.loads(result.stdout)["Images"]
    main = images[-1]
    return TreeSummary(
        image_id=main.get("ImageId") or "image",
        distribution=str(main.get("Distribution", "")),
        release=str(main.get("Release", "")),
        raw=main,
    )


# The summary settings that decide what mkosi's incremental cache holds (the image right
# after package installation). mkosi keeps one cache per distribution/release/architecture
# and throws it away when these differ, so two systems built in turn would each install
# everything again; pydeclos gives every combination its own cache directory instead.
PACKAGE_SETTINGS = (
    "Distribution", "Release", "Architecture", "Mirror", "Repositories", "Packages",
    "BuildPackages", "VolatilePackages", "InitrdPackages", "PackageDirectories",
    "BaseTrees", "SkeletonTrees", "PrepareScripts",
)
TREE_SETTINGS = ("PackageManagerTrees", "SandboxTrees", "SkeletonTrees")
KEPT_INCREMENTAL_CACHES = 4


def _tree_sources(value: object) -> list[Path]:
    sources = []
    for entry in value if isinstance(value, list) else []:
        source = entry.get("Source") if isinstance(entry, dict) else entry
        if source:
            sources.append(Path(str(source)))
    return sources


def package_key(info: TreeSummary) -> str:
    """A digest of everything that decides which packages the image gets, and from where."""
    digest = hashlib.sha256()
    settings = {k: info.raw.get(k) for k in PACKAGE_SETTINGS}
    # A prepare script (foreign-architecture packages) installs packages too: its content
    # counts, not where the tree happens to be.
    scripts = [Path(str(script)) for script in settings.pop("PrepareScripts", None) or []]
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in scripts:
        digest.update(b"prepare\0" + (path.read_bytes() if path.is_file() else b""))
    for setting in TREE_SETTINGS:
        for source in _tree_sources(info.raw.get(setting)):
            for path in sorted(source.rglob("*")) if source.is_dir() else []:
                if path.is_file():
                    digest.update(str(path.relative_to(source)).encode() + b"\0")
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def incremental_dir(cache: CacheDirs, info: TreeSummary) -> Path:
    """This package set's incremental cache; only the most recently used few are kept."""
    directory = cache.incremental / package_key(info)
    directory.mkdir(parents=True, exist_ok=True)
    os.utime(directory)
    others = sorted((d for d in cache.incremental.iterdir() if d.is_dir()),
                    key=lambda d: d.stat().st_mtime, reverse=True)
    for old in others[KEPT_INCREMENTAL_CACHES:]:
        shutil.rmtree(old, ignore_errors=True)
    return directory


def build_command(tree: Path, output: Path, version: int, tools: HostTools,
                  cache: CacheDirs, incremental: Path) -> list[str]:
    return [
        tools.mkosi, "-C", str(tree),
        "--force",
        f"--image-version={version}",
        f"{long_option(tools.mkosi, 'output')}={output}",
        f"{long_option(tools.mkosi, 'cache')}={incremental}",
        f"{long_option(tools.mkosi, 'package-cache')}={cache.packages}",
        f"{long_option(tools.mkosi, 'workspace')}={cache.workspace}",
        "--incremental=yes",
        "--manifest-format=json",
        "build",
    ]


def long_option(mkosi: str, what: str) -> str:
    """`--<what>-dir` (mkosi 24) or `--<what>-directory` (later mkosi), as this mkosi spells it.

    mkosi parses its command line with abbreviations off, so the exact spelling matters;
    `--help` is the one place both versions list them.
    """
    usage = mkosi_usage(mkosi)
    for spelling in (f"--{what}-directory", f"--{what}-dir"):
        if re.search(rf"{re.escape(spelling)}\b(?!-)", usage):
            return spelling
    return f"--{what}-dir"


@functools.cache
def mkosi_usage(mkosi: str) -> str:
    """`mkosi --help`, run once (about 0.5 s each time on a loaded host)."""
    return subprocess.run([mkosi, "--help"], capture_output=True, text=True).stdout


MISSING_PACKAGE = re.compile(
    r"E: (?:Unable to locate package (\S+)|Package '([^']+)' has no installation candidate)"
)


# How systemd-repart (254) says that what a partition gets does not fit in it; thousands of
# lines of mkfs.erofs output can precede this, so the error quotes none of them.
TOO_SMALL = [
    re.compile(r"Partition (?P<index>\d+)'s contents \((?P<needed>[^)]*)\) don't fit in the "
               r"partition \((?P<size>[^)]*)\)"),
    re.compile(r"Verity hash data does not fit in partition (?P<file>\S+) with size "
               r"(?P<size>\S+)"),
    re.compile(r"erofs.* beyond the end of device\((?P<bytes>\d+)\)"),
    re.compile(r"Failed to copy .* to '/run/systemd/mount-root/.*': No space left on device"),
    re.compile(r"Could not allocate block in ext2 filesystem while populating file system"),
]
FUTURE_PARTITION = re.compile(r"(?:future )?partition (\d+)")


def size_option(definition: str) -> str:
    """The option that sizes a partition of lower/repart.py's layout, by its file name:
    00-esp, 1x/2x the A/B slots and their verity, 3x the persistent partitions."""
    if "verity" in definition:
        return "image.usr_verity_size"
    return {"0": "image.esp_size", "1": "image.usr_size", "2": "image.usr_size",
            "3": "image.root_size"}.get(definition[:1], "the image.*_size option of it")


def _partition_file(index: str | None, tree: Path | None) -> str:
    """repart numbers the partitions of an empty disk in the order of its definition files."""
    files = sorted(p.name for p in (tree / "mkosi.repart").glob("*.conf")) if tree else []
    return files[int(index)] if index is not None and int(index) < len(files) else "a partition"


def too_small(lines: list[str], log: Path, tree: Path | None) -> BuildError | None:
    """repart failing because a partition is too small for what goes in it, as one
    sentence naming the partition and the option that sizes it."""
    for number, line in enumerate(lines):
        found = next((m for m in (p.search(line) for p in TOO_SMALL) if m), None)
        if found is None:
            continue
        fields = found.groupdict()
        if fields.get("file"):
            definition = fields["file"]
        else:
            index = fields.get("index")
            if index is None:  # the partition repart formatted or filled last
                earlier = [m[1] for m in map(FUTURE_PARTITION.search, lines[:number]) if m]
                index = earlier[-1] if earlier else None
            definition = _partition_file(index, tree)
        size = fields.get("size")
        if fields.get("bytes"):
            size = f"{int(fields['bytes']) >> 20}M"
        option = size_option(definition)
        fix = (f"raise {option}, or leave it unset so that it follows image.usr_size"
               if option == "image.usr_verity_size" else
               f"raise {option}, or install less")
        needed = f" ({fields['needed']})" if fields.get("needed") else ""
        limit = f" ({size})" if size else ""
        return PartitionTooSmallError(
            f"the contents of {definition}{needed} do not fit in the partition{limit}: "
            f"{fix}. Full log: {log}")
    return None


def classify_failure(lines: list[str], status: int, log: Path, summary: TreeSummary,
                     tree: Path | None = None) -> Exception:
    """The error a failed mkosi run means for the user."""
    text = "\n".join(lines)
    small = too_small(lines, log, tree)
    if small is not None:
        return small
    if "No space left on device" in text:
        return DiskSpaceError(
            "mkosi ran out of disk space (\"No space left on device\"): free space in the "
            f"cache ($PYDECLOS_CACHE, now {log.parent.parent}) and the output directory, or "
            f"move them. Full log: {log}"
        )
    missing = sorted({a or b for a, b in MISSING_PACKAGE.findall(text)})
    if missing:
        return PackageNotFoundError(
            f"package(s) {', '.join(missing)} do not exist in {summary.distribution} "
            f"{summary.release}: remove them from `packages` or fix their names "
            f"(https://packages.debian.org lists what exists). Full log: {log}"
        )
    tail = "\n".join(f"    {line}" for line in lines[-25:])
    return MkosiFailedError(
        f"mkosi failed with status {status}; its last lines:\n{tail}\nFull log: {log}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End mkosi and everything it started (its own session): SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    for signal_number, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _guarded(command: list[str]) -> list[str]:
    """`command`, made to receive SIGTERM if pydeclos dies (even by SIGKILL) before it ends,
    so that no orphaned mkosi keeps writing into the cache or a removed staging directory."""
    setpriv = shutil.which("setpriv", path=SYSTEM_PATH)
    return [setpriv, "--pdeathsig", "TERM", "--", *command] if setpriv else command


def run_build(
    command: list[str], tools: HostTools, log: Path, progress: Progress,
    verbose: bool, echo: TextIO | None = None, watch: list[Need] | None = None,
    observe: Callable[[str], None] | None = None,
) -> tuple[int, list[str]]:
    """Run mkosi, log every line to `log`, move the progress phases, stream with --verbose.

    mkosi runs in its own session, so that an interrupt (Ctrl-C, SIGTERM) or a full disk
    stops it and all it started before the staging directory is removed.
    """
    lines: list[str] = []
    env = {**os.environ, "PATH": tools.path, "SYSTEMD_PAGER": "", "TERM": "dumb"}
    with log.open("w") as log_file:
        log_file.write("$ " + " ".join(command) + "\n")
        process = subprocess.Popen(
            _guarded(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True,
        )
        assert process.stdout is not None
        started = time.monotonic()
        try:
            with SpaceWatch(watch or [], lambda: _stop(process)) as watcher:
                for raw in process.stdout:
                    line = raw.decode(errors="replace").rstrip("\n")
                    # Seconds since mkosi started, so a slow step shows in the log.
                    log_file.write(f"[{time.monotonic() - started:7.1f}] {line}\n")
                    lines.append(line)
                    if len(lines) > 400:
                        del lines[:100]
                    progress.mkosi_line(line)
                    if observe is not None:
                        observe(line)
                    if verbose:
                        progress.message(line)
                status = process.wait()
        finally:
            _stop(process)
            process.stdout.close()
        full = watcher.error()
        if full is not None:
            log_file.write(f"pydeclos: {full}\n")
            raise full
    return status, lines
