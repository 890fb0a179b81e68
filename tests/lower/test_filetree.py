"""write_tree: the tree appears whole at its destination or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pydeclos.errors import PydeclosError
from pydeclos.lower import File, FileTree, Symlink, lower, write_tree
from pydeclos.lower.filetree import TreeConflict
from tests.lower.configs import config, rich_config


def test_writes_files_modes_and_links(tmp_path: Path) -> None:
    tree = FileTree({"a/b.txt": File(b"hi\n", 0o600), "a/link": Symlink("b.txt")})
    write_tree(tree, tmp_path / "out")
    assert (tmp_path / "out/a/b.txt").read_bytes() == b"hi\n"
    assert (tmp_path / "out/a/b.txt").stat().st_mode & 0o777 == 0o600
    assert os.readlink(tmp_path / "out/a/link") == "b.txt"
    assert (tmp_path / "out/a/link").read_text() == "hi\n"


def test_replaces_an_existing_tree(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    write_tree(FileTree({"old": File(b"1")}), dest)
    write_tree(FileTree({"new": File(b"2")}), dest)
    assert sorted(p.name for p in dest.iterdir()) == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_leaves_nothing_and_keeps_the_old_tree(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    write_tree(FileTree({"keep": File(b"old")}), dest)
    # "x" is a file, so "x/y" cannot be created: the write fails half-way.
    broken = FileTree({"x": File(b""), "x/y": File(b"")})
    with pytest.raises(OSError):
        write_tree(broken, dest)
    assert (dest / "keep").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with pytest.raises(OSError):
        write_tree(broken, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_refuses_to_replace_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a directory")
    with pytest.raises(PydeclosError, match="not a directory"):
        write_tree(FileTree({"a": File(b"")}), tmp_path / "out")
    assert (tmp_path / "out").read_text() == "not a directory"


def test_two_different_contents_for_one_path_conflict() -> None:
    tree = FileTree({"a": File(b"1")})
    tree.add("a", File(b"1"))
    with pytest.raises(TreeConflict, match="a"):
        tree.add("a", File(b"2"))


@pytest.mark.parametrize("path", ["/abs", "../up", "a/../b", "a//b", "", "."])
def test_tree_paths_are_relative_and_normalised(path: str) -> None:
    with pytest.raises(ValueError):
        FileTree({path: File(b"")})


@pytest.mark.parametrize("make", [config, rich_config])
def test_lowering_is_deterministic(tmp_path: Path, make) -> None:
    """The same configuration, lowered twice, gives byte-identical trees on disk."""
    write_tree(lower(make()), tmp_path / "one")
    write_tree(lower(make()), tmp_path / "two")

    def snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
        result: dict[str, tuple[str, bytes | str]] = {}
        for path in sorted(root.rglob("*")):
            key = str(path.relative_to(root))
            if path.is_symlink():
                result[key] = ("link", os.readlink(path))
            elif path.is_file():
                result[key] = (oct(path.stat().st_mode & 0o777), path.read_bytes())
        return result

    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
