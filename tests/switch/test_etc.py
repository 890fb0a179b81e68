"""/etc across generations: hand edits kept and reported, dropped links removed, the rest alone."""

from __future__ import annotations

import os
from pathlib import Path

from pydeclos.switch.etc import STORE, drift, prepare


def entry(text: str) -> dict:
    import hashlib

    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "mode": "0644",
            "user": "root", "group": "root"}


def managed(etc: Path, name: str) -> None:
    (etc / name).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(f"{STORE}/{name}", etc / name)


def test_prepare_keeps_edits_and_removes_dropped_links(tmp_path: Path) -> None:
    etc, kept = tmp_path / "etc", tmp_path / "kept"
    current = {"a/changed.conf": entry("1"), "a/removed.conf": entry("x"), "a/edited.conf": entry("d")}
    target = {"a/changed.conf": entry("2"), "a/edited.conf": entry("d")}
    for name in current:
        managed(etc, name)
    (etc / "a/edited.conf").unlink()
    (etc / "a/edited.conf").write_text("my own edit\n")
    (etc / "unmanaged.conf").write_text("not pydeclos'\n")

    report = prepare(current, target, "gen1", etc, kept)

    assert report.edited == ["a/edited.conf"]
    copy = Path(report.kept["a/edited.conf"])
    assert copy.read_text() == "my own edit\n" and copy.is_relative_to(kept)
    assert report.removed == ["a/removed.conf"]
    assert not (etc / "a/removed.conf").is_symlink()
    assert (etc / "a/changed.conf").is_symlink()  # the new /usr's tmpfiles relink it
    assert (etc / "unmanaged.conf").read_text() == "not pydeclos'\n"


def test_staging_keeps_edits_but_leaves_the_running_generations_links(tmp_path: Path) -> None:
    """`switch --stage-only`: the running generation still reads the links it declares."""
    etc, kept = tmp_path / "etc", tmp_path / "kept"
    current = {"a/removed.conf": entry("x"), "a/edited.conf": entry("d")}
    for name in current:
        managed(etc, name)
    (etc / "a/edited.conf").unlink()
    (etc / "a/edited.conf").write_text("my own edit\n")

    report = prepare(current, {"a/edited.conf": entry("d")}, "gen1", etc, kept,
                     remove_dropped=False)

    assert Path(report.kept["a/edited.conf"]).read_text() == "my own edit\n"
    assert report.removed == []
    assert os.readlink(etc / "a/removed.conf") == f"{STORE}/a/removed.conf"
    assert (etc / "a/edited.conf").read_text() == "my own edit\n"


def test_an_edited_entry_the_target_drops_stays_in_place(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "gone.conf").write_text("edited\n")
    report = prepare({"gone.conf": entry("declared")}, {}, "gen1", etc, tmp_path / "kept")
    assert report.kept == {} and report.removed == []
    assert (etc / "gone.conf").read_text() == "edited\n"


def test_drift_names_missing_and_stale_entries(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    managed(etc, "old.conf")
    report = drift({"new.conf": entry("n")}, etc)
    assert report.missing == ["new.conf"]
    assert report.stale == ["old.conf"]


def test_layout_roots_relative_links_are_the_declared_entries(tmp_path: Path) -> None:
    """Layout root links /etc into the store relatively; those are not hand edits."""
    etc = tmp_path / "etc"
    (etc / "ssh").mkdir(parents=True)
    os.symlink("../usr/share/pydeclos/etc/hostname", etc / "hostname")
    os.symlink("../../usr/share/pydeclos/etc/ssh/sshd_config", etc / "ssh/sshd_config")
    os.symlink("../usr/share/pydeclos/etc/gone.conf", etc / "gone.conf")
    os.symlink("../usr/share/elsewhere/motd", etc / "motd")
    declared = {"hostname": entry("h"), "ssh/sshd_config": entry("s"), "motd": entry("m")}

    report = drift(declared, etc)

    assert report.edited == ["motd"]
    assert report.stale == ["gone.conf"]
    assert report.missing == []
