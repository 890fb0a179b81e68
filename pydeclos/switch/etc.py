"""The managed /etc across generations: drift, hand edits kept, dropped links removed.

Each /usr version ships its /etc content in /usr/share/pydeclos/etc and links it from
/etc with tmpfiles `L+` lines, which systemd-tmpfiles applies at every boot and after a
soft-reboot, replacing whatever is at the path. So before activating, `switch` keeps a copy
of every managed entry an admin replaced by a file of their own (in KEPT/<time>/<path>)
and removes links to entries the new generation no longer declares.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STORE = "/usr/share/pydeclos/etc"
KEPT = Path("/var/lib/pydeclos/etc-kept")


@dataclass
class EtcReport:
    """What /etc looks like against a generation's declared entries."""

    edited: list[str] = field(default_factory=list)    # a file of its own where a link should be
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)     # links into the store to undeclared entries
    kept: dict[str, str] = field(default_factory=dict)  # path -> where its copy was kept
    removed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: sorted(v) if isinstance(v, list) else dict(sorted(v.items()))
                for k, v in self.__dict__.items()}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_own_link(path: Path, entry: dict[str, Any], name: str) -> bool:
    if not path.is_symlink():
        return False
    if "link" in entry:
        return os.readlink(path) == str(entry["link"])
    return store_target(path, name) == f"{STORE}/{name}"


def store_target(path: Path, name: str) -> str:
    """Where the link /etc/<name> points, as an absolute path: layout root links into the
    store relatively (../usr/share/pydeclos/etc/<name>; its initrd reads the fstab under
    /sysroot), layout usr absolutely."""
    target = os.readlink(path)
    if target.startswith("/"):
        return target
    return os.path.normpath(os.path.join("/etc", os.path.dirname(name), target))


def drift(declared: dict[str, dict[str, Any]], etc: Path = Path("/etc")) -> EtcReport:
    """Managed entries not as this generation declares them, and stale store links."""
    report = EtcReport()
    for name, entry in sorted(declared.items()):
        path = etc / name
        if _is_own_link(path, entry, name):
            continue
        if not path.exists() and not path.is_symlink():
            report.missing.append(name)
        elif path.is_file() and not path.is_symlink() and "sha256" in entry \
                and _sha256(path) == entry["sha256"]:
            continue  # a copied entry (C+, owned by another user) with the declared content
        else:
            report.edited.append(name)
    for path in _store_links(etc):
        name = path.relative_to(etc).as_posix()
        if name not in declared:
            report.stale.append(name)
    return report


def _store_links(etc: Path) -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(etc):
        for name in dirs + files:
            path = Path(directory) / name
            if path.is_symlink() and store_target(
                    path, path.relative_to(etc).as_posix()).startswith(f"{STORE}/"):
                found.append(path)
    return found


def prepare(current: dict[str, dict[str, Any]], target: dict[str, dict[str, Any]],
            label: str, etc: Path = Path("/etc"), kept_root: Path = KEPT,
            remove_dropped: bool = True) -> EtcReport:
    """Keep hand edits the target would overwrite; remove links the target drops (not
    with `remove_dropped` False: the running generation still uses them)."""
    report = drift(current, etc)
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{label}"
    for name in report.edited:
        path = etc / name
        if name not in target or not path.is_file():
            continue  # no longer managed: the admin's file stays where it is, untouched
        copy = kept_root / stamp / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        report.kept[name] = str(copy)
    if not remove_dropped:
        return report
    for name in sorted(set(current) - set(target)) + report.stale:
        path = etc / name
        entry = current.get(name, {})
        if path.is_symlink() and (_is_own_link(path, entry, name) or name in report.stale):
            path.unlink()
            report.removed.append(name)
            _remove_empty_parents(path.parent, etc)
    return report


def _remove_empty_parents(directory: Path, etc: Path) -> None:
    while directory != etc and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
