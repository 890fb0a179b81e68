"""Layout root: /etc's local changes carried to the next generation, a 3-way merge.

On layout root /etc is an overlay: the running slot's /etc below, the machine's changes in
the upper directory on /var (pydeclos/switch/etc_overlay.py). A switch puts another slot's
/etc below the same changes. Each entry of the upper directory is weighed against the old
base (the running slot's /etc) and the new base (the next slot's), per path:

- the generation did not change the path (old base = new base): the local version is
  kept, whatever it is (an edit, a new file, a deletion);
- the new base already is the local version: the local copy is dropped, nothing is lost
  (an edit the new generation made too, or a deletion of a path it no longer has);
- both changed it: a conflict. The local version stays in /etc; the new generation's is
  copied into the kept directory, so both versions remain and the plan names both places;
- an entry pydeclos manages in the new generation (a link into /usr/share/pydeclos/etc):
  the declaration wins, as on layout usr (`etc.prepare` has kept the admin's copy by then);
- the machine's own state (etc_overlay.MACHINE_STATE: machine-id, host keys, accounts) is
  kept, but for what a new /usr must remake: the ld.so cache and the `.updated` stamp, so
  ldconfig and the other ConditionNeedsUpdate= units run for the new generation.

`plan_merge` reads three directories and decides; `write_state` writes the merged upper
directory into the next generation's own state directory (the running overlay's upper
directory is not changed underneath it) and copies the new generation's side of each
conflict away. Each generation keeps its state directory when the machine leaves it:
that is the snapshot `rollback`, or a boot of that generation, finds again.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pydeclos.switch.etc import STORE, store_target
from pydeclos.switch.etc_overlay import (
    is_machine_state,
    is_opaque,
    is_whiteout,
    lstat_or_none,
    same_entry,
)

# Machine state a new /usr remakes instead of inheriting (paths relative to /etc).
REMADE = ("ld.so.cache", ".updated")


@dataclass
class EtcMerge:
    """Paths relative to /etc, by what happens to the local version."""

    kept: list[str] = field(default_factory=list)       # the generation left the path alone
    converged: list[str] = field(default_factory=list)  # the new base is the local version
    conflicts: list[str] = field(default_factory=list)  # both changed: local stays, new kept
    declared: list[str] = field(default_factory=list)   # managed by the new generation
    machine: list[str] = field(default_factory=list)    # the machine's own state, kept
    remade: list[str] = field(default_factory=list)     # machine state the new /usr remakes

    def to_json(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in self.__dict__.items()}

    def dropped(self) -> list[str]:
        """Entries the merged upper directory no longer holds."""
        return sorted(self.converged + self.declared + self.remade)


def _equal(a: Path, a_info: os.stat_result | None, b: Path, b_info: os.stat_result | None,
           deep: bool) -> bool:
    """Two versions of one path (None: absent). `deep` compares directories by content too
    (a directory added or replaced as a whole), otherwise by mode and owner only."""
    if a_info is None or b_info is None:
        return a_info is None and b_info is None
    if stat.S_IFMT(a_info.st_mode) != stat.S_IFMT(b_info.st_mode):
        return False
    if not stat.S_ISDIR(a_info.st_mode):
        return same_entry(a, a_info, b, b_info)
    if (a_info.st_mode, a_info.st_uid, a_info.st_gid) != \
            (b_info.st_mode, b_info.st_uid, b_info.st_gid):
        return False
    if not deep:
        return True
    names = sorted(os.listdir(a))
    if names != sorted(os.listdir(b)):
        return False
    return all(_equal(a / n, (a / n).lstat(), b / n, (b / n).lstat(), deep=True) for n in names)


def _is_declared(path: Path, info: os.stat_result | None, name: str) -> bool:
    """A link into the store: an entry the generation declares (absolute on layout usr,
    relative on layout root)."""
    return info is not None and stat.S_ISLNK(info.st_mode) and \
        store_target(path, name).startswith(STORE + "/")


def plan_merge(upper: Path, old_base: Path, new_base: Path) -> EtcMerge:
    """What becomes of each local change when `new_base` replaces `old_base` under it."""
    merge = EtcMerge()
    _walk(upper, old_base, new_base, "", merge)
    return merge


def _walk(upper: Path, old: Path, new: Path, rel: str, merge: EtcMerge) -> None:
    for entry in sorted(os.listdir(upper / rel if rel else upper)):
        name = f"{rel}/{entry}" if rel else entry
        local = lstat_or_none(upper / name)
        assert local is not None
        old_info, new_info = lstat_or_none(old / name), lstat_or_none(new / name)
        if is_machine_state(name):
            (merge.remade if name in REMADE else merge.machine).append(name)
            continue
        if _is_declared(new / name, new_info, name):
            merge.declared.append(name)
            continue
        local_info = None if is_whiteout(local) else local
        descend = (stat.S_ISDIR(local.st_mode) and not is_opaque(upper / name)
                   and old_info is not None and stat.S_ISDIR(old_info.st_mode))
        if descend:
            # The directory's own mode and owner, if changed, stay (it holds entries); its
            # entries are weighed one by one.
            if not _equal(upper / name, local, old / name, old_info, deep=False) and \
                    not _equal(upper / name, local, new / name, new_info, deep=False):
                merge.kept.append(name)
            _walk(upper, old, new, name, merge)
            continue
        _decide(name, upper / name, local_info, old / name, old_info, new / name, new_info,
                merge)


def _decide(name: str, local: Path, local_info: os.stat_result | None, old: Path,
            old_info: os.stat_result | None, new: Path, new_info: os.stat_result | None,
            merge: EtcMerge) -> None:
    """An entry weighed whole (a directory by its content too)."""
    if _equal(old, old_info, new, new_info, deep=True):
        merge.kept.append(name)
    elif _equal(local, local_info, new, new_info, deep=True):
        merge.converged.append(name)
    else:
        merge.conflicts.append(name)


def _copy(source: Path, dest: Path) -> None:
    """Everything of an entry: whiteouts (device nodes), xattrs (opaque marks), owners."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", "--no-target-directory", str(source), str(dest)], check=True)


def remove(path: Path) -> None:
    """Remove an entry of any kind, if there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_merged(upper: Path, merge: EtcMerge, new_base: Path, dest: Path,
                 kept: Path) -> dict[str, str]:
    """Write the merged upper directory to `dest` (new) and copy the new generation's
    version of each conflict to `kept`/<path>. Returns path -> where that copy went."""
    if dest.exists() or dest.is_symlink():
        raise FileExistsError(f"{dest} exists; remove it (a leftover of an interrupted switch)")
    _copy(upper, dest)
    for name in merge.dropped():
        remove(dest / name)
    saved: dict[str, str] = {}
    for name in sorted(merge.conflicts):
        if lstat_or_none(new_base / name) is not None:
            _copy(new_base / name, kept / name)
            saved[name] = str(kept / name)
    return saved


def summary_lines(merge: EtcMerge, saved: dict[str, str]) -> list[str]:
    """The plan's lines for a merge: what happens to each local /etc change."""
    words = {
        "kept": "kept (the new generation does not change them)",
        "converged": "dropped (the new generation has the same)",
        "conflicts": "changed by both: the local version stays",
        "declared": "declared by the new generation: its version wins",
        "remade": "remade by the new generation",
    }
    lines = []
    for kind, text in words.items():
        names = sorted(getattr(merge, kind))
        if names:
            lines.append(f"/etc {text}: {', '.join('/etc/' + n for n in names)}")
    for name, where in sorted(saved.items()):
        lines.append(f"  the new generation's /etc/{name} is kept in {where}")
    return lines


def write_state(upper: Path, merge: EtcMerge, new_base: Path, dest: Path,
                kept: Path) -> dict[str, str]:
    """Write a generation's state directory `dest` (the merged `upper`, an empty `work`)
    beside it first, then move it in place. A directory already at `dest` that was mounted
    (the generation ran here and was left) goes into `kept`, not lost; one never mounted
    (an earlier merge for a staged generation) is replaced. Returns write_merged's."""
    staging = dest.with_name(f"{dest.name}.new")
    remove(staging)  # a leftover of an interrupted switch
    saved = write_merged(upper, merge, new_base, staging / "upper", kept)
    (staging / "work").mkdir()
    if was_mounted(dest):
        kept.mkdir(parents=True, exist_ok=True)
        os.rename(dest, kept / f"generation-{dest.name}-before")
    else:
        remove(dest)
    os.rename(staging, dest)
    return saved


def was_mounted(state: Path) -> bool:
    """Whether a state directory has served as an overlay's: overlayfs makes `work/work`
    in the work directory at every read-write mount, and a new one has an empty one."""
    work = state / "work"
    return state.exists() and (not work.is_dir() or any(work.iterdir()))


def prune(state: Path, keep: set[int]) -> list[int]:
    """Remove the state directories of generations not in `keep` (those no slot holds any
    more: they can never run again). Returns the generations removed."""
    gone = []
    for path in sorted(state.iterdir()) if state.is_dir() else []:
        if path.name.isdigit() and int(path.name) not in keep:
            remove(path)
            gone.append(int(path.name))
    return gone
