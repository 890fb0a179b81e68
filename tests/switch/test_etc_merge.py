"""Layout root's /etc 3-way merge: the local changes (the overlay's upper directory) weighed
against the running slot's /etc (old base) and the next slot's (new base).

The plain-directory tests build the three trees by hand; the root-only ones add overlayfs'
whiteouts and mount a real overlay over the merged result, to see /etc as the next
generation will.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from pydeclos.switch.errors import SwitchError
from pydeclos.switch.etc_merge import (
    plan_merge,
    prune,
    summary_lines,
    write_merged,
    write_state,
)
from pydeclos.switch.etc_overlay import state_dir


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def whiteout(path: Path) -> None:
    """What overlayfs leaves in the upper directory for a deleted lower entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(0, 0))


def bases(tmp_path: Path) -> tuple[Path, Path]:
    """Generation 1's /etc and generation 2's: motd and hosts unchanged, issue and
    nsswitch.conf changed, cron.daily/old dropped, new.conf and hostname's link added."""
    old, new = tmp_path / "old", tmp_path / "new"
    for base in (old, new):
        write(base / "motd", "welcome\n")
        write(base / "hosts", "127.0.0.1 localhost\n")
        write(base / "default/keyboard", "XKBLAYOUT=us\n")
        os.symlink("../usr/share/pydeclos/etc/hostname", base / "hostname")
    write(old / "issue", "Debian 13\n")
    write(new / "issue", "Debian 13.1\n")
    write(old / "nsswitch.conf", "hosts: files dns\n")
    write(new / "nsswitch.conf", "hosts: files resolve dns\n")
    write(old / "cron.daily/old", "#!/bin/sh\n", 0o755)
    write(new / "new.conf", "from generation 2\n")
    write(new / "ld.so.cache", "generation 2's cache\n")
    return old, new


def test_each_local_change_against_both_generations(tmp_path: Path) -> None:
    old, new = bases(tmp_path)
    upper = tmp_path / "upper"
    write(upper / "motd", "edited by the admin\n")                # generation left it alone
    write(upper / "issue", "Debian 13.1\n")                       # the same as generation 2's
    write(upper / "nsswitch.conf", "hosts: files myhostname\n")   # both changed it
    write(upper / "new.conf", "the admin's own\n")                # both added it, unlike
    write(upper / "mine.conf", "only here\n")                     # the admin's new file
    write(upper / "hostname", "a file where a declared link is\n")  # declared by generation 2
    write(upper / "machine-id", "0123456789abcdef0123456789abcdef\n")
    write(upper / "ld.so.cache", "generation 1's cache\n")
    write(upper / ".updated", "TIMESTAMP_NSEC=1\n")
    (upper / "default").mkdir()                                   # overlayfs' copy-up parent
    (upper / "default").chmod((old / "default").stat().st_mode & 0o7777)
    write(upper / "default/keyboard", "XKBLAYOUT=de\n")

    merge = plan_merge(upper, old, new)

    assert merge.to_json() == {
        "kept": ["default/keyboard", "mine.conf", "motd"],
        "converged": ["issue"],
        "conflicts": ["new.conf", "nsswitch.conf"],
        "declared": ["hostname"],
        "machine": ["machine-id"],
        "remade": [".updated", "ld.so.cache"],
    }


def test_the_merged_directory_and_the_kept_copies(tmp_path: Path) -> None:
    old, new = bases(tmp_path)
    upper = tmp_path / "upper"
    write(upper / "motd", "edited by the admin\n")
    write(upper / "issue", "Debian 13.1\n")
    write(upper / "nsswitch.conf", "hosts: files myhostname\n")
    write(upper / "ld.so.cache", "generation 1's cache\n")
    merge = plan_merge(upper, old, new)
    merged, kept = tmp_path / "upper.next", tmp_path / "kept"

    saved = write_merged(upper, merge, new, merged, kept)

    assert sorted(p.name for p in merged.iterdir()) == ["motd", "nsswitch.conf"]
    assert (merged / "nsswitch.conf").read_text() == "hosts: files myhostname\n"
    assert saved == {"nsswitch.conf": str(kept / "nsswitch.conf")}
    assert (kept / "nsswitch.conf").read_text() == "hosts: files resolve dns\n"
    # The running overlay's upper directory is not touched.
    assert sorted(p.name for p in upper.iterdir()) == \
        ["issue", "ld.so.cache", "motd", "nsswitch.conf"]
    with pytest.raises(FileExistsError, match="interrupted switch"):
        write_merged(upper, merge, new, merged, kept)


def test_the_plan_says_what_happens_and_where_the_other_version_is(tmp_path: Path) -> None:
    old, new = bases(tmp_path)
    upper = tmp_path / "upper"
    write(upper / "motd", "edited\n")
    write(upper / "nsswitch.conf", "hosts: files\n")
    merge = plan_merge(upper, old, new)
    saved = write_merged(upper, merge, new, tmp_path / "next", tmp_path / "kept")

    assert summary_lines(merge, saved) == [
        "/etc kept (the new generation does not change them): /etc/motd",
        "/etc changed by both: the local version stays: /etc/nsswitch.conf",
        f"  the new generation's /etc/nsswitch.conf is kept in {tmp_path}/kept/nsswitch.conf",
    ]


def test_a_directory_the_admin_added_is_weighed_as_a_whole(tmp_path: Path) -> None:
    old, new = bases(tmp_path)
    write(new / "sudoers.d/admins", "%admin ALL=(ALL) ALL\n", 0o440)
    (new / "sudoers.d").chmod(0o755)
    upper = tmp_path / "upper"
    write(upper / "sudoers.d/admins", "%admin ALL=(ALL) ALL\n", 0o440)
    (upper / "sudoers.d").chmod(0o755)
    write(upper / "mine.d/a.conf", "a\n")

    merge = plan_merge(upper, old, new)

    assert merge.converged == ["sudoers.d"] and merge.kept == ["mine.d"]


def test_each_slot_finds_its_generations_state_directory_through_its_link(
        tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/share/pydeclos").mkdir(parents=True)
    with pytest.raises(SwitchError, match="etc-local is missing: that root slot was built"):
        state_dir(root)
    # As the build makes it: relative, so that the initrd finds it under /sysroot.
    (root / "usr/share/pydeclos/etc-local").symlink_to("../../../var/lib/pydeclos/etc/7")
    assert state_dir(root) == Path("/var/lib/pydeclos/etc/7")


def test_a_new_state_directory_holds_the_merge_and_keeps_a_replaced_one(
        tmp_path: Path) -> None:
    old, new = bases(tmp_path)
    upper = tmp_path / "state/1/upper"
    write(upper / "motd", "local\n")        # generation 2 leaves motd alone: kept
    write(upper / "nsswitch.conf", "hosts: files resolve dns\n")  # generation 2's: dropped
    merge = plan_merge(upper, old, new)
    dest, kept = tmp_path / "state/2", tmp_path / "kept"

    write_state(upper, merge, new, dest, kept)

    assert sorted(p.name for p in dest.iterdir()) == ["upper", "work"]
    assert sorted(p.name for p in (dest / "upper").iterdir()) == ["motd"]
    assert (upper / "nsswitch.conf").exists()  # the running generation's stays untouched
    # Merged again before generation 2 ever ran (a stage-only switch, then its carry at
    # shutdown): the unused directory is simply replaced.
    write(upper / "issue.d/late", "edited after staging\n")
    write_state(upper, merge, new, dest, kept)
    assert not kept.exists()
    # Generation 2 ran here (overlayfs made work/work; the machine was rolled back from
    # it): its directory is kept aside, not lost, and no half-written one is left behind.
    write(dest / "upper/edited-on-2", "x\n")
    (dest / "work/work").mkdir()
    write_state(upper, merge, new, dest, kept)
    assert (kept / "generation-2-before/upper/edited-on-2").read_text() == "x\n"
    assert not (dest / "upper/edited-on-2").exists()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["1", "2"]


def test_state_directories_of_generations_no_slot_holds_are_pruned(tmp_path: Path) -> None:
    for name in ("1", "2", "3", "upper"):
        (tmp_path / name / "upper").mkdir(parents=True)
    assert prune(tmp_path, {2, 3}) == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2", "3", "upper"]


@pytest.mark.needs_root
def test_deletions_follow_the_same_rules(tmp_path: Path) -> None:
    old, new = bases(tmp_path)
    upper = tmp_path / "upper"
    whiteout(upper / "motd")              # deleted; generation 2 has it unchanged: stays deleted
    whiteout(upper / "cron.daily/old")    # deleted; generation 2 dropped it too
    (upper / "cron.daily").chmod((old / "cron.daily").stat().st_mode & 0o7777)
    whiteout(upper / "issue")             # deleted; generation 2 changed it: a conflict

    merge = plan_merge(upper, old, new)

    assert merge.kept == ["motd"]
    assert merge.converged == ["cron.daily/old"]
    assert merge.conflicts == ["issue"]
    merged = tmp_path / "next"
    saved = write_merged(upper, merge, new, merged, tmp_path / "kept")
    assert stat.S_ISCHR((merged / "motd").lstat().st_mode)  # still a whiteout
    assert not (merged / "cron.daily/old").exists()
    assert saved == {"issue": str(tmp_path / "kept/issue")}


@pytest.mark.needs_root
def test_the_next_generations_etc_through_a_real_overlay(tmp_path: Path) -> None:
    """Mounted as the next boot mounts it (the new slot's /etc below, the merged changes
    above): the admin's edits and deletions hold, the generation's changes show."""
    old, new = bases(tmp_path)
    upper = tmp_path / "upper"
    write(upper / "motd", "edited by the admin\n")
    whiteout(upper / "hosts")
    write(upper / "issue", "Debian 13.1\n")
    write(upper / "ld.so.cache", "generation 1's cache\n")
    merged, work, etc = tmp_path / "merged", tmp_path / "work", tmp_path / "etc"
    write_merged(upper, plan_merge(upper, old, new), new, merged, tmp_path / "kept")
    work.mkdir()
    etc.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={new},upperdir={merged},workdir={work}", str(etc)], check=True)
    try:
        assert (etc / "motd").read_text() == "edited by the admin\n"
        assert not (etc / "hosts").exists()
        assert (etc / "issue").read_text() == "Debian 13.1\n"
        assert (etc / "new.conf").read_text() == "from generation 2\n"
        assert (etc / "nsswitch.conf").read_text() == "hosts: files resolve dns\n"
        assert (etc / "ld.so.cache").read_text() == "generation 2's cache\n"
        assert not (etc / "cron.daily").exists()
    finally:
        subprocess.run(["umount", str(etc)], check=True)
