"""Generation numbering and the all-or-nothing publishing of OUT/<version>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from pydeclos.build.errors import OutputExistsError
from pydeclos.build.generations import next_version, staging


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
