"""`pydeclos build` asks visudo about the sudoers drop-in before mkosi starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pydeclos.build.errors import SudoersInvalidError
from pydeclos.build.sudoers import check_sudoers
from pydeclos.lower import write_tree
from pydeclos.system import lower_system
from tests.lower.cases import evaluate_definitions
from tests.lower.tools import need


def tree_with(tmp_path: Path, extra_config: str) -> Path:
    config = evaluate_definitions({"security": {"sudo": {
        "enable": True, "extra_config": extra_config}}})
    tree = tmp_path / "tree"
    write_tree(lower_system(config), tree)
    return tree


def test_a_valid_drop_in_passes(tmp_path: Path) -> None:
    need("visudo")
    check_sudoers(tree_with(tmp_path, "Defaults:alice !lecture"))


def test_a_line_sudo_cannot_parse_stops_the_build_before_mkosi(tmp_path: Path) -> None:
    need("visudo")
    with pytest.raises(SudoersInvalidError) as caught:
        check_sudoers(tree_with(tmp_path, "alice ALL=(ALL NOPASSWD: ALL"))
    message = str(caught.value)
    assert "visudo refuses /etc/sudoers.d/pydeclos" in message
    assert "security.sudo.extra_config" in message
    assert "syntax error" in message  # visudo's own words, with the line
    assert str(tmp_path) not in message  # the scratch tree means nothing to the user


def test_a_tree_without_sudo_needs_no_visudo(tmp_path: Path) -> None:
    config = evaluate_definitions({})
    tree = tmp_path / "tree"
    write_tree(lower_system(config), tree)
    check_sudoers(tree)  # nothing to check, whatever the host has
