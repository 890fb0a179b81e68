"""Scratch directories of a build: swept once their owner is dead, never while it lives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydeclos.build.ownership import OWNER_LOCK, owned_directory, sweep

HOLDER = """
import sys, time
from pathlib import Path
from pydeclos.build.ownership import create_owned
owned = create_owned(Path(sys.argv[1]), "pydeclos-tree-")
print(owned.path, flush=True)
time.sleep(600)
"""


def start_holder(parent: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(parent)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_a_live_owners_directory_is_kept_a_killed_ones_swept(tmp_path: Path) -> None:
    process, owned = start_holder(tmp_path)
    try:
        assert (owned / OWNER_LOCK).is_file()
        assert sweep(tmp_path, "pydeclos-tree-") == []
        assert owned.is_dir()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert sweep(tmp_path, "pydeclos-tree-") == [owned]
    assert not owned.exists()


def test_a_directory_without_a_lock_is_kept_until_it_is_a_day_old(tmp_path: Path) -> None:
    """An older pydeclos's tree, or one being created this instant."""
    young = tmp_path / "pydeclos-tree-young"
    old = tmp_path / "pydeclos-tree-old"
    young.mkdir()
    old.mkdir()
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    assert sweep(tmp_path, "pydeclos-tree-") == [old]
    assert young.is_dir()


def test_other_names_and_links_are_never_touched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "pydeclos-tree-link").symlink_to(victim)
    (tmp_path / "unrelated").mkdir()
    assert sweep(tmp_path, "pydeclos-tree-") == []
    assert victim.is_dir() and (tmp_path / "unrelated").is_dir()


def test_owned_directory_cleans_up_and_sweeps_first(tmp_path: Path) -> None:
    process, stale = start_holder(tmp_path)
    process.kill()
    process.wait()
    with owned_directory("pydeclos-tree-", tmp_path) as scratch:
        assert not stale.exists()
        (scratch / "tree").mkdir()
        inside = scratch
    assert not inside.exists()
    assert list(tmp_path.iterdir()) == []
