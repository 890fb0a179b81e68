"""Generation numbering and the all-or-nothing publishing of OUT/<version>/."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pydeclos.build.errors import BuildError, OutputExistsError
from pydeclos.build.generations import check_output_dir, next_version, reserve, staging
from tests.build.mounts import tmpfs


def test_numbers_continue_after_the_newest_generation(tmp_path: Path) -> None:
    assert next_version(tmp_path / "missing") == 1
    for name in ("1", "2", "10", "notes", ".staging-11-x"):
        (tmp_path / name).mkdir()
    assert next_version(tmp_path) == 11


def test_a_finished_generation_appears_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staging(out, 1) as stage:
        (stage / "image.raw").write_text("disk")
        assert not (out / "1").exists()
    assert (out / "1" / "image.raw").read_text() == "disk"
    assert [p.name for p in out.iterdir()] == ["1"]


def test_a_failed_build_leaves_nothing_not_even_the_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staging(out, 1) as stage:
        (stage / "half.raw").write_text("half")
        raise RuntimeError("mkosi failed")
    assert not out.exists()


def test_a_failed_build_keeps_earlier_generations(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "1").mkdir(parents=True)
    with pytest.raises(RuntimeError), staging(out, 2):
        raise RuntimeError("interrupted")
    assert [p.name for p in out.iterdir()] == ["1"]


def test_a_generation_that_appeared_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError, match="generation 1 already exists"):
        with staging(out, 1) as stage:
            (stage / "new").write_text("new")
            (out / "1").mkdir()
            (out / "1" / "old").write_text("old")
    assert [p.name for p in (out / "1").iterdir()] == ["old"]


CLAIMER = """
import sys, time
from pathlib import Path
from pydeclos.build.generations import reserve
with reserve(Path(sys.argv[1])) as slot:
    print(slot.version, slot.stage, flush=True)
    time.sleep(float(sys.argv[2]))
"""


def claim(out: Path, hold: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CLAIMER, str(out), str(hold)],
                            stdout=subprocess.PIPE, text=True)


def test_builds_running_at_once_get_consecutive_generations(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "4").mkdir(parents=True)
    builds = [claim(out, 3) for _ in range(4)]
    numbers = []
    for build in builds:
        stdout, _ = build.communicate(timeout=60)
        assert build.returncode == 0
        numbers.append(int(stdout.split()[0]))
    assert sorted(numbers) == [5, 6, 7, 8]
    assert sorted(p.name for p in out.iterdir()) == ["4", "5", "6", "7", "8"]


def test_the_staging_of_a_killed_build_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    killed = claim(out, 600)
    assert killed.stdout is not None
    version, stage = killed.stdout.readline().split()
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert Path(stage).is_dir() and version == "1"  # SIGKILL leaves it behind
    with staging(out, 1) as mine:
        assert not Path(stage).exists()
        (mine / "image.raw").write_text("disk")
    assert sorted(p.name for p in out.iterdir()) == ["1"]


def test_a_generation_being_built_is_not_claimed_twice(tmp_path: Path) -> None:
    out = tmp_path / "out"
    running = claim(out, 600)
    try:
        assert running.stdout is not None
        assert running.stdout.readline().split()[0] == "1"
        with pytest.raises(OutputExistsError, match="being built into .* right now"):
            with staging(out, 1):
                pass
        with reserve(out) as slot:
            assert slot.version == 2
    finally:
        running.kill()
        running.wait()


def test_an_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(BuildError, match="exists and is not a directory"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(BuildError, match="is not a directory"):
        check_output_dir(tmp_path / "file" / "out")
    check_output_dir(tmp_path / "new" / "deeper")


@pytest.mark.needs_root
def test_an_output_on_a_read_only_file_system_is_refused(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as read_only:
        with pytest.raises(BuildError, match="read-only file system"):
            check_output_dir(read_only / "out")
