"""`pydeclos options`: every declared option with its docs, as text, JSON or Markdown."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main

TOY = """
from pydeclos import option, types as t

options = {"toy": {
    "enable": option(bool, default=False, description="Whether toy runs."),
    "hosts": option(dict[str, t.submodule({
        "port": option(t.Port, default=80, description="Port.", example=8080),
    })], default={}, description="Hosts by name."),
    "secret": option(str, default="", internal=True, description="Internal."),
}}
"""


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("pydeclos.library.stdlib_modules", lambda: [])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy.py").write_text(textwrap.dedent(TOY).lstrip())
    path = tmp_path / "system.py"
    path.write_text('imports = ["./toy.py"]\n')
    return path


def test_json_records(system: Path) -> None:
    result = CliRunner().invoke(main, ["options", str(system), "--json", "toy"])
    assert result.exit_code == 0, result.output
    records = {r["path"]: r for r in json.loads(result.stdout)}
    assert list(records) == ["toy.enable", "toy.hosts", "toy.hosts.<name>.port"]
    port = records["toy.hosts.<name>.port"]
    assert port["type"] == "port (0–65535)"
    assert (port["default"], port["example"], port["description"]) == (80, 8080, "Port.")
    assert port["declarations"] == ["toy.py:6"]
    assert records["toy.enable"]["declarations"] == ["toy.py:4"]


def test_internal_options_are_hidden_unless_asked(system: Path) -> None:
    hidden = CliRunner().invoke(main, ["options", str(system), "toy.secret"])
    shown = CliRunner().invoke(main, ["options", str(system), "toy.secret", "--internal"])
    assert "toy.secret" not in hidden.stdout
    assert "toy.secret" in shown.stdout


def test_glob_patterns_and_markdown(system: Path) -> None:
    result = CliRunner().invoke(main, ["options", str(system), "toy.*.<name>.*", "--markdown"])
    assert result.exit_code == 0
    assert result.stdout.startswith("## `toy.hosts.<name>.port`")
    assert "- Default: `80`" in result.stdout


def test_without_a_file_lists_the_library(system: Path) -> None:
    result = CliRunner().invoke(main, ["options"])
    assert result.exit_code == 0
    assert "assertions" in result.stdout and "toy.enable" not in result.stdout


def test_text_output_names_type_default_and_declaration(system: Path) -> None:
    result = CliRunner().invoke(main, ["options", str(system), "toy.enable"])
    assert result.stdout.splitlines() == [
        "toy.enable", "    type: bool", "    default: false", "    Whether toy runs.",
        "    declared in toy.py:4"]


def test_a_nixos_name_finds_the_option_here() -> None:
    """Against the standard library: `hostName` and `networking.hostName` are NixOS'."""
    for pattern in ("hostName", "networking.hostName"):
        result = CliRunner().invoke(main, ["options", pattern])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(
            "NixOS' networking.hostName is networking.hostname here.\n"), result.output
        assert "\nnetworking.hostname\n    type: host name" in result.output


def test_a_nixos_name_in_json() -> None:
    result = CliRunner().invoke(main, ["options", "--json", "networking.hostName"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [(r["path"], r["nixos_names"]) for r in records] == [
        ("networking.hostname", ["networking.hostName"])]


def test_a_nixos_name_with_an_attribute_name_filled_in() -> None:
    result = CliRunner().invoke(main, ["options", "users.users.bob.openssh.authorizedKeys.keys"])
    assert result.exit_code == 0, result.output
    assert "is users.users.<name>.ssh_authorized_keys here" in result.output
    assert "\nusers.users.<name>.ssh_authorized_keys\n" in result.output


def test_a_nixos_name_without_counterpart_says_why() -> None:
    result = CliRunner().invoke(main, ["options", "system.stateVersion"])
    assert result.exit_code == 0, result.output
    assert "NixOS' system.stateVersion has no counterpart here. Not needed" in result.output


def test_pydeclos_names_are_not_told_about_nixos() -> None:
    result = CliRunner().invoke(main, ["options", "networking.hostname"])
    assert "NixOS" not in result.output
    assert result.output.startswith("networking.hostname\n")
