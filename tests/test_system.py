"""The one pipeline: every verb evaluates a system file the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.build.system import evaluate_for_build
from pydeclos.cli import main
from pydeclos.errors import PydeclosError
from pydeclos.system import evaluate_system, system_config

DISABLES_GETTY = '''disabled_modules = ["services/getty.py"]

def config(cfg):
    return {"networking": {"hostname": "quiet"}}
'''


@pytest.fixture
def system(tmp_path: Path) -> Path:
    path = tmp_path / "system.py"
    path.write_text(DISABLES_GETTY)
    return path


def test_disabled_library_modules_resolve_in_the_build_path(system: Path) -> None:
    """`build` evaluates with the library's modules path too (it did not, once)."""
    config, _ = evaluate_for_build(system, version=3)
    assert "getty" not in config["services"]
    assert config["image"]["version"] == 3
    assert config["networking"]["hostname"] == "quiet"


@pytest.mark.parametrize("verb", [["eval", "--json"], ["graph"], ["options"],
                                  ["lower", "-o", "OUT"]])
def test_every_verb_accepts_a_disabled_library_module(verb: list[str], system: Path) -> None:
    args = [a.replace("OUT", str(system.parent / "tree")) for a in verb]
    result = CliRunner().invoke(main, [args[0], str(system), *args[1:]])
    assert result.exit_code == 0, result.output


def test_version_override_wins_over_the_system_file(tmp_path: Path) -> None:
    path = tmp_path / "system.py"
    path.write_text('from pydeclos import mk_force\n\nconfig = {"image.version": mk_force(2)}\n')
    config, _ = system_config(path, version=9)
    assert config["image"]["version"] == 9
    assert evaluate_system(path).value("image.version") == 2


def test_a_directory_without_system_py_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PydeclosError, match="without a system.py"):
        evaluate_system(tmp_path)
