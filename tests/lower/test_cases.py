"""Each `cases/<name>/system.py` lowers to a tree snapshotted whole (`--snapshot-update`
accepts a reviewed change): the review surface for what lowering and the library write."""

from __future__ import annotations

import hashlib

import pytest

from pydeclos.lower import File, lower
from tests.lower.cases import case_names, evaluate_case


def _content(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:  # a binary file (a gpg keyring): its size and hash
        return f"[{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}]"


def render(tree) -> dict[str, str]:
    """The tree as text: file content with its mode, or the link target."""
    return {path: (f"[mode {entry.mode:04o}]\n{_content(entry.content)}"
                   if isinstance(entry, File) else f"-> {entry.target}")
            for path, entry in tree.items()}


@pytest.mark.parametrize("name", case_names())
def test_case_tree_snapshot(name: str, snapshot) -> None:
    assert render(lower(evaluate_case(name))) == snapshot
