"""Layout root: the local changes to /etc, read from its overlay's upper directory.

On layout root /etc is an overlayfs whose lower layer is the running slot's /etc and whose
upper directory (/var/lib/pydeclos/etc/<generation>/upper, `state_dir`) holds everything
written since: a changed file whole, a deleted one as a whiteout (a character device 0:0),
a directory deleted and made again as an opaque directory (xattr `trusted.overlay.opaque=y`).
Comparing the upper directory with the slot's /etc gives what `ostree admin config-diff`
shows: files added, modified and deleted. What the machine writes by itself (machine-id, host keys, the
account files, ...) is listed apart from the admin's edits, so that an admin sees their
own changes, and a later /etc merge knows which files to remake rather than keep.

`read_changes` is a pure function over two directories; only `slot_etc` mounts anything.
"""

from __future__ import annotations

import filecmp
import os
import posixpath
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from pydeclos.lower.common import ETC_LOCAL_LINK
from pydeclos.switch.errors import SwitchError

# Paths (relative to /etc, fnmatch patterns) that the machine writes by itself at run time.
# Each one: who writes it, and why it is not an admin's edit.
MACHINE_STATE = (
    "machine-id",             # systemd at first boot (into the slot's empty file, if any)
    "ssh/ssh_host_*_key",     # ssh-keygen -A at first boot (the build removes the image's)
    "ssh/ssh_host_*_key.pub",
    "passwd", "passwd-",      # systemd-sysusers, useradd, passwd, chpasswd (and their backups)
    "group", "group-",
    "shadow", "shadow-",
    "gshadow", "gshadow-",
    "subuid", "subuid-",      # useradd
    "subgid", "subgid-",
    ".pwd.lock",              # the lock file of the tools above
    "ld.so.cache",            # ldconfig.service (ConditionNeedsUpdate) at first boot
    ".updated",               # systemd-update-done.service (ConditionNeedsUpdate's stamp)
    "adjtime",                # hwclock / systemd-timedated
    "credstore", "credstore.encrypted",  # systemd's credential store directories
)

OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")  # user.: `userxattr` mounts


@dataclass
class EtcChanges:
    """Paths relative to /etc. `modified`: the same kind of file with other content, link
    target, mode or owner; `replaced`: another kind of file (a file where the slot has a
    link or a directory), or a directory deleted and made again (opaque)."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in self.__dict__.items()}

    def __bool__(self) -> bool:
        return any(self.__dict__.values())


@dataclass
class LocalChanges:
    """/etc against the running slot's: the admin's edits and the machine's own state."""

    admin: EtcChanges = field(default_factory=EtcChanges)
    machine: EtcChanges = field(default_factory=EtcChanges)

    def to_json(self) -> dict[str, Any]:
        return {"admin": self.admin.to_json(), "machine": self.machine.to_json()}


def is_machine_state(name: str) -> bool:
    """Whether /etc/<name> is one the machine writes itself (MACHINE_STATE, or inside one)."""
    parts = name.split("/")
    return any(fnmatchcase("/".join(parts[:n]), pattern)
               for n in range(1, len(parts) + 1) for pattern in MACHINE_STATE)


def is_whiteout(info: os.stat_result) -> bool:
    """overlayfs marks a deleted lower entry with a character device 0:0 in the upper dir."""
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == 0


def is_opaque(path: Path) -> bool:
    """An opaque upper directory hides the lower one's contents (it was deleted and remade)."""
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def same_entry(upper: Path, up: os.stat_result, lower: Path, low: os.stat_result) -> bool:
    """Same content (or link target) and, but for links, the same mode and owner."""
    if stat.S_ISLNK(up.st_mode):
        return os.readlink(upper) == os.readlink(lower)
    if (up.st_mode, up.st_uid, up.st_gid) != (low.st_mode, low.st_uid, low.st_gid):
        return False
    if stat.S_ISREG(up.st_mode):
        return up.st_size == low.st_size and filecmp.cmp(upper, lower, shallow=False)
    return up.st_rdev == low.st_rdev


def lstat_or_none(path: Path) -> os.stat_result | None:
    """The entry's lstat, or None when there is none."""
    try:
        return path.lstat()
    except FileNotFoundError:
        return None


def read_changes(upper: Path, lower: Path) -> LocalChanges:
    """The upper directory of an /etc overlay against its lower directory (the slot's /etc).

    An added or deleted directory is one entry (its contents are not listed). A copy-up
    that changed nothing (a file opened for writing and left as it was) is no change."""
    found = EtcChanges()
    _walk(upper, lower, "", hides_lower=False, found=found)
    changes = LocalChanges()
    for kind, names in found.__dict__.items():
        for name in names:
            getattr(changes.machine if is_machine_state(name) else changes.admin, kind).append(name)
    return changes


def _walk(upper: Path, lower: Path, rel: str, hides_lower: bool, found: EtcChanges) -> None:
    """One upper directory; `hides_lower` when it (or a parent) is opaque, so lower entries
    it does not list are gone from /etc."""
    here = upper / rel if rel else upper
    names = sorted(os.listdir(here))
    if hides_lower and (lower / rel).is_dir():
        shown = set(names)
        found.deleted += [_join(rel, n) for n in sorted(os.listdir(lower / rel)) if n not in shown]
    for entry in names:
        name = _join(rel, entry)
        up = (upper / name).lstat()
        low = lstat_or_none(lower / name)
        if is_whiteout(up):
            if low is not None and not hides_lower:
                found.deleted.append(name)
        elif low is None:
            found.added.append(name)
        elif stat.S_IFMT(up.st_mode) != stat.S_IFMT(low.st_mode):
            found.replaced.append(name)
        elif stat.S_ISDIR(up.st_mode):
            opaque = is_opaque(upper / name)
            if opaque:
                found.replaced.append(name)
            elif (up.st_mode, up.st_uid, up.st_gid) != (low.st_mode, low.st_uid, low.st_gid):
                found.modified.append(name)
            _walk(upper, lower, name, hides_lower or opaque, found)
        elif not same_entry(upper / name, up, lower / name, low):
            found.modified.append(name)


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


@contextmanager
def slot_etc(run_dir: Path = Path("/run/pydeclos")) -> Iterator[Path]:
    """The running slot's own /etc, which the overlay hides: a non-recursive bind mount of
    / shows the root file system without what is mounted on it (the overlay on /etc)."""
    from pydeclos.switch.machine import run

    run_dir.mkdir(parents=True, exist_ok=True)
    where = Path(tempfile.mkdtemp(prefix="slot-", dir=run_dir))
    try:
        run(["mount", "--bind", "-o", "ro", "/", str(where)])
        try:
            yield where / "etc"
        finally:
            run(["umount", str(where)], check=False)
    finally:
        where.rmdir()


def state_dir(root: Path) -> Path:
    """Where the generation whose root is mounted at `root` keeps its /etc overlay's upper
    and work directories: the target of its slot's link (lower/common.py, ETC_LOCAL_LINK),
    read as on that root; the directory is on the /var every generation shares."""
    link = root / ETC_LOCAL_LINK.lstrip("/")
    try:
        target = os.readlink(link)
    except OSError:
        raise SwitchError(
            f"{link} is missing: that root slot was built by a pydeclos without one /etc "
            "state directory per generation; rebuild it with this version") from None
    return Path(posixpath.normpath(posixpath.join(posixpath.dirname(ETC_LOCAL_LINK), target)))


def local_changes(upper: Path | None = None) -> LocalChanges | None:
    """The running machine's /etc changes (in the running generation's upper directory),
    or None where /etc is not such an overlay."""
    if upper is None:
        if not (Path("/") / ETC_LOCAL_LINK.lstrip("/")).is_symlink():
            return None
        upper = state_dir(Path("/")) / "upper"
    if not upper.is_dir():
        return None
    with slot_etc() as lower:
        return read_changes(upper, lower)


def summary_lines(changes: dict[str, Any]) -> list[str]:
    """`status`'s lines for LocalChanges.to_json(): the admin's edits, then machine state."""
    lines = []
    for who, title in (("admin", "/etc local changes"), ("machine", "/etc machine state")):
        kinds = [f"{kind} {', '.join('/etc/' + n for n in names)}"
                 for kind, names in changes[who].items() if names]
        lines.append(f"{title}: {'; '.join(kinds) if kinds else 'none'}")
    return lines
