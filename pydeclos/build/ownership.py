"""Scratch directories a build owns while it runs, and sweeping those whose owner died.

A build killed with SIGKILL (or by the OOM killer, or a power cut) cannot clean up after
itself, so the next build must, without ever deleting the directory of a build that is
still running. Each owned directory holds a lock file that its creator keeps `flock`ed
for as long as it lives; the kernel drops that lock when the process ends, however it
ends. A directory whose lock can be taken is therefore abandoned. A directory without a
lock file comes from an older pydeclos (or is being created this instant) and is only
swept when it is a day old.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

OWNER_LOCK = ".pydeclos-owner"
UNLOCKED_GRACE_SECONDS = 24 * 3600


@dataclass
class Owned:
    """A directory this process created and holds the owner lock of."""

    path: Path
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def create_owned(parent: Path, prefix: str) -> Owned:
    """A new directory `parent/<prefix><random>`, owned (locked) by this process."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path / OWNER_LOCK, flags, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, f"{os.getpid()}\n".encode())
    return Owned(path, fd)


def is_abandoned(path: Path) -> bool:
    """True if no living process owns `path` (see the module docstring)."""
    try:
        fd = os.open(path / OWNER_LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        try:
            return time.time() - path.stat().st_mtime > UNLOCKED_GRACE_SECONDS
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def owned_candidates(parent: Path, prefix: str) -> Iterator[Path]:
    """Directories in `parent` named `<prefix>*` that belong to this user (not links)."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid():
            yield Path(entry.path)


def sweep(parent: Path, prefix: str) -> list[Path]:
    """Remove the abandoned `<prefix>*` directories in `parent`; the ones removed."""
    removed = []
    for path in owned_candidates(parent, prefix):
        if is_abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextmanager
def owned_directory(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """Like `tempfile.TemporaryDirectory`, but swept by the next build if this one is killed.

    Abandoned directories with the same prefix are swept first."""
    parent = parent or Path(tempfile.gettempdir())
    sweep(parent, prefix)
    owned = create_owned(parent, prefix)
    try:
        yield owned.path
    finally:
        with suppress(OSError):
            shutil.rmtree(owned.path)
        owned.release()
