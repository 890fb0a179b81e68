"""Free space for a build: checked before mkosi starts, and watched while it runs.

A full disk does not make mkosi fail cleanly: apt inside its sandbox waits forever at
"install packages". So the build checks beforehand that the cache and the output
directory have room for a build of this size, and a watcher stops mkosi as soon as either
file system runs out (a smaller image than estimated still builds; a bigger one stops
with a clear error instead of hanging).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.errors import BuildError

MiB = 1 << 20
GiB = 1 << 30
# mkosi's workspace holds the whole image tree, the package cache the .debs and the
# incremental cache a copy of the tree after package installation: a Debian server
# image takes 1–1.5 GiB of that.
CACHE_NEEDED = 2 * GiB
# The disk image (sparse, ~0.5 GiB allocated), the /usr and verity partitions (mkosi
# writes them whole, the build trims them), the UKI, kernel and initrd: ~1 GiB at the peak.
OUT_NEEDED = 1 * GiB
# Below this much free space a running build is stopped: the disk is as good as full.
LOW_WATER = 16 * MiB
WATCH_SECONDS = 1.0


class DiskSpaceError(BuildError):
    """The cache or the output file system has too little room for the build."""


@dataclass(frozen=True)
class Need:
    """`bytes` must be free on the file system holding `path`; `what` and `fix` explain it."""

    path: Path
    bytes: int
    what: str
    fix: str


def human(size: int) -> str:
    return f"{size / GiB:.1f} GiB" if size >= GiB else f"{size / MiB:.0f} MiB"


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system of `path`."""
    existing = path
    while not existing.exists():
        existing = existing.parent
    info = os.statvfs(existing)
    return info.f_bavail * info.f_frsize


def output_need(out: Path, newest: Path | None) -> int:
    """Twice what the newest generation takes (mkosi writes the partitions before they are
    trimmed), or the estimate for a first build."""
    if newest is None:
        return OUT_NEEDED
    used = sum(p.stat().st_blocks * 512 for p in newest.iterdir() if p.is_file())
    return max(OUT_NEEDED, 2 * used)


def check_space(needs: list[Need]) -> None:
    """Raise naming each file system that has less room than the build needs.

    Needs on the same file system add up."""
    by_device: dict[int, list[Need]] = {}
    for need in needs:
        existing = need.path
        while not existing.exists():
            existing = existing.parent
        by_device.setdefault(os.stat(existing).st_dev, []).append(need)
    problems = []
    for group in by_device.values():
        total = sum(need.bytes for need in group)
        free = free_bytes(group[0].path)
        if free < total:
            parts = " + ".join(f"{human(need.bytes)} for the {need.what} {need.path}"
                               for need in group)
            fixes = "; or ".join(need.fix for need in group)
            problems.append(f"{group[0].path} has {human(free)} free, the build needs about "
                            f"{human(total)} there ({parts}): free space there, or {fixes}")
    if problems:
        raise DiskSpaceError("not enough disk space to build:\n  " + "\n  ".join(problems))


class SpaceWatch:
    """Calls `stop` once if a watched path's file system falls below LOW_WATER free."""

    def __init__(self, needs: list[Need], stop: Callable[[], None]) -> None:
        self.needs = needs
        self.stop = stop
        self.exhausted: Need | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SpaceWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(WATCH_SECONDS):
            for need in self.needs:
                try:
                    free = free_bytes(need.path)
                except OSError:
                    continue
                if free < LOW_WATER:
                    self.exhausted = need
                    self.stop()
                    return

    def error(self) -> DiskSpaceError | None:
        """The error to raise if the watch stopped the build."""
        need = self.exhausted
        if need is None:
            return None
        return DiskSpaceError(
            f"the {need.what} {need.path} ran out of disk space during the build "
            f"(less than {human(LOW_WATER)} free), so mkosi was stopped; the build needs "
            f"about {human(need.bytes)} there: free space there, or {need.fix}"
        )
