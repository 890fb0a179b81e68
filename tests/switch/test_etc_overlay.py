"""Layout root's /etc changes read from the overlay's upper directory, as `status` shows them.

The plain-directory tests build an upper directory by hand the way overlayfs writes one;
the root-only ones let a real overlay mount write it (whiteouts, opaque directories).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pydeclos.switch.etc_overlay import is_machine_state, read_changes, slot_etc


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def slot(tmp_path: Path) -> Path:
    """A slot's /etc: a few files, a link into the store, a directory."""
    lower = tmp_path / "lower"
    write(lower / "motd", "welcome\n")
    write(lower / "issue", "Debian\n")
    write(lower / "default/grub", "GRUB_TIMEOUT=5\n")
    write(lower / "ssh/ssh_config", "Host *\n")
    write(lower / "passwd", "root:x:0:0::/root:/bin/sh\n")
    os.symlink("../usr/share/pydeclos/etc/hostname", lower / "hostname")
    return lower


def test_added_modified_replaced_and_untouched_copies(tmp_path: Path) -> None:
    lower, upper = slot(tmp_path), tmp_path / "upper"
    write(upper / "motd", "edited by the admin\n")              # content changed
    write(upper / "issue", "Debian\n", 0o600)                   # mode changed
    write(upper / "ssh/ssh_config", "Host *\n")                 # copied up, left as it was
    (upper / "ssh").chmod((lower / "ssh").stat().st_mode & 0o7777)
    write(upper / "hostname", "a file where the slot has a link\n")
    write(upper / "sudoers.d/admins", "%admin ALL=(ALL) ALL\n")  # a new directory
    write(upper / "new.conf", "x\n")
    (upper / "default").mkdir()
    (upper / "default").chmod((lower / "default").stat().st_mode & 0o7777)

    changes = read_changes(upper, lower)

    assert changes.admin.to_json() == {
        "added": ["new.conf", "sudoers.d"],
        "modified": ["issue", "motd"],
        "replaced": ["hostname"],
        "deleted": [],
    }
    assert not changes.machine


def test_what_the_machine_writes_is_listed_apart(tmp_path: Path) -> None:
    lower, upper = slot(tmp_path), tmp_path / "upper"
    write(upper / "machine-id", "0123456789abcdef0123456789abcdef\n")
    write(upper / "ssh/ssh_host_ed25519_key", "private\n", 0o600)
    write(upper / "ssh/ssh_host_ed25519_key.pub", "public\n")
    (upper / "ssh").chmod((lower / "ssh").stat().st_mode & 0o7777)
    write(upper / "passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
    write(upper / "ld.so.cache", "cache\n")
    write(upper / "ssh/sshd_config.d/admin.conf", "PermitRootLogin no\n")

    changes = read_changes(upper, lower)

    assert changes.machine.to_json() == {
        "added": ["ld.so.cache", "machine-id", "ssh/ssh_host_ed25519_key",
                  "ssh/ssh_host_ed25519_key.pub"],
        "modified": ["passwd"], "replaced": [], "deleted": [],
    }
    assert changes.admin.to_json()["added"] == ["ssh/sshd_config.d"]


def test_machine_state_names() -> None:
    for name in ("machine-id", "shadow", "gshadow-", "ssh/ssh_host_rsa_key", ".pwd.lock",
                 "credstore/secret"):
        assert is_machine_state(name), name
    for name in ("ssh/sshd_config", "hostname", "passwd.d", "ssh/ssh_host_rsa_key.bak",
                 "default/machine-id"):
        assert not is_machine_state(name), name


@pytest.mark.needs_root
def test_whiteouts_and_opaque_directories_made_by_hand(tmp_path: Path) -> None:
    """The two marks overlayfs leaves, made the way it makes them (mknod c 0 0, xattr)."""
    lower, upper = slot(tmp_path), tmp_path / "upper"
    upper.mkdir()
    os.mknod(upper / "motd", 0o600 | 0o020000, os.makedev(0, 0))
    os.mknod(upper / "shadow", 0o600 | 0o020000, os.makedev(0, 0))  # nothing to delete
    (upper / "default").mkdir()
    os.setxattr(upper / "default", "trusted.overlay.opaque", b"y")
    write(upper / "default/keyboard", "XKBLAYOUT=de\n")

    changes = read_changes(upper, lower)

    assert changes.admin.to_json() == {"added": ["default/keyboard"], "modified": [],
                                       "replaced": ["default"],
                                       "deleted": ["default/grub", "motd"]}
    assert not changes.machine


@pytest.mark.needs_root
def test_a_real_overlay_writes_what_is_then_reported(tmp_path: Path) -> None:
    lower, upper, work, etc = (slot(tmp_path), tmp_path / "upper", tmp_path / "work",
                               tmp_path / "etc")
    for directory in (upper, work, etc):
        directory.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={lower},upperdir={upper},workdir={work}", str(etc)], check=True)
    try:
        (etc / "motd").write_text("edited by the admin\n")
        (etc / "issue").unlink()
        subprocess.run(["rm", "-r", str(etc / "default")], check=True)
        (etc / "default").mkdir()
        (etc / "default/locale").write_text("LANG=C.UTF-8\n")
        (etc / "ssh/ssh_host_ed25519_key").write_text("private\n")
        (etc / "ssh/ssh_config").open("a").close()  # opened for writing, nothing changed
        (etc / "passwd").write_text("root:x:0:0::/root:/bin/bash\n")
    finally:
        subprocess.run(["umount", str(etc)], check=True)

    assert (upper / "ssh/ssh_config").is_file()  # copied up, yet no change
    changes = read_changes(upper, lower)

    assert changes.admin.to_json() == {"added": ["default/locale"], "modified": ["motd"],
                                       "replaced": ["default"],
                                       "deleted": ["default/grub", "issue"]}
    assert changes.machine.to_json() == {"added": ["ssh/ssh_host_ed25519_key"],
                                         "modified": ["passwd"], "replaced": [], "deleted": []}


@pytest.mark.needs_root
def test_the_slots_etc_is_mounted_only_while_read(tmp_path: Path) -> None:
    with slot_etc(tmp_path) as etc:
        assert (etc / "os-release").exists() or (etc / "passwd").exists()
        mounts = Path("/proc/self/mountinfo").read_text()
        assert str(etc.parent) in mounts
    assert str(tmp_path) not in Path("/proc/self/mountinfo").read_text()
    assert list(tmp_path.iterdir()) == []
