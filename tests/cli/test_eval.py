"""`pydeclos eval`: the configuration as JSON, one value, and one-screen errors (exit 1)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main

ROOT = Path(__file__).resolve().parents[2]

TOY = """
from pydeclos import option, types as t

options = {"toy": {
    "name": option(str, default="toy"),
    "port": option(t.Port, default=80),
    "hosts": option(dict[str, t.submodule({"root": option(t.Path)})], default={}),
}}
"""


@pytest.fixture
def no_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluate toy files alone, without the standard module library."""
    monkeypatch.setattr("pydeclos.library.stdlib_modules", lambda: [])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_minimal_example_prints_its_configuration() -> None:
    code, out, err = run("eval", str(ROOT / "examples/minimal/system.py"), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["networking"]["hostname"] == "minimal"
    assert list(data) == sorted(data)


@pytest.mark.usefixtures("no_library")
def test_json_and_one_value(tmp_path: Path) -> None:
    write(tmp_path, "toy.py", TOY)
    system = write(tmp_path, "system.py", """
        imports = ["./toy.py"]
        config = {"toy": {"name": "web", "hosts": {"example.org": {"root": "/srv//www/"}}}}
    """)
    code, out, _ = run("eval", str(system), "--json")
    assert code == 0
    assert json.loads(out) == {
        "assertions": [], "warnings": [],
        "toy": {"name": "web", "port": 80, "hosts": {"example.org": {"root": "/srv/www"}}},
    }
    code, out, _ = run("eval", str(system), "--option", 'toy.hosts."example.org".root')
    assert (code, out) == (0, "/srv/www\n")
    code, out, _ = run("eval", str(system), "--option", "toy.hosts.example.org", "--json")
    assert (code, json.loads(out)) == (0, {"root": "/srv/www"})


@pytest.mark.usefixtures("no_library")
@pytest.mark.parametrize(("config", "expected"), [
    ('{"toy": {"nmae": "x"}}', ["`toy.nmae` does not exist", "system.py:2",
                                "Did you mean `toy.name`"]),
    ('{"toy": {"port": 70000}}', ["`toy.port` is not of type", "system.py:2", "toy.py:5"]),
    ('{"toy.name": "a"}', ["conflicting definition values", "system.py:2", "other.py:1",
                           "toy.py:4", "mk_force"]),
])
def test_user_errors_are_one_screen_with_locations(tmp_path: Path, config: str,
                                                    expected: list[str]) -> None:
    write(tmp_path, "toy.py", TOY)
    write(tmp_path, "other.py", 'config = {"toy": {"name": "b"}}\n')
    system = write(tmp_path, "system.py", f'imports = ["./toy.py", "./other.py"]\nconfig = {config}\n')
    code, out, err = run("eval", str(system), "--json")
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    for text in expected:
        assert text in err
    assert len(err.splitlines()) < 25


@pytest.mark.usefixtures("no_library")
def test_unknown_value_path_exits_1_with_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "toy.py", TOY)
    system = write(tmp_path, "system.py", 'imports = ["./toy.py"]\n')
    code, _, err = run("eval", str(system), "--option", "toy.prot")
    assert code == 1
    assert "Did you mean `toy.port`" in err


@pytest.mark.usefixtures("no_library")
def test_warnings_go_to_stderr(tmp_path: Path) -> None:
    system = write(tmp_path, "system.py", 'config = {"warnings": ["careful"]}\n')
    code, out, err = run("eval", str(system), "--json")
    assert code == 0
    assert "warning: careful" in err
    assert json.loads(out)["warnings"] == ["careful"]


@pytest.mark.usefixtures("no_library")
def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    system = write(tmp_path, "system.py", 'config = {"nope": 1}\n')
    result = CliRunner().invoke(main, ["--debug", "eval", str(system)])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("seeds", [("0", "12345")])
def test_output_does_not_depend_on_hash_seeds(tmp_path: Path, seeds: tuple[str, str]) -> None:
    import os
    import subprocess
    import sys

    write(tmp_path, "toy.py", TOY)
    system = write(tmp_path, "system.py", """
        imports = ["./toy.py"]

        def config(cfg):
            names = {f"host{i}.example.org" for i in range(20)}  # a set: hash-ordered
            return {"toy": {"hosts": {name: {"root": "/srv/" + name} for name in names}}}
    """)
    outputs = []
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-m", "pydeclos", "eval", str(system), "--json"],
                                capture_output=True, text=True, env=env, check=True)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["toy"]["hosts"]) == 20


@pytest.mark.usefixtures("no_library")
def test_readable_output_is_one_line_per_value(tmp_path: Path) -> None:
    write(tmp_path, "toy.py", TOY)
    system = write(tmp_path, "system.py", """
        imports = ["./toy.py"]
        config = {"toy": {"hosts": {"a.org": {"root": "/srv"}}}}
    """)
    code, out, _ = run("eval", str(system))
    assert code == 0
    assert 'toy.hosts."a.org".root = "/srv"' in out.splitlines()
    assert "toy.port = 80" in out.splitlines()


@pytest.mark.parametrize("asked,told", [
    ("networking.hostName", "NixOS' `networking.hostName` is `networking.hostname` here."),
    ("users.users.root.openssh.authorizedKeys.keys",
     "is `users.users.root.ssh_authorized_keys` here."),
])
def test_a_nixos_name_asked_for_is_told_the_name_here(tmp_path: Path, asked: str,
                                                      told: str) -> None:
    system = write(tmp_path, "system.py", "config = {}\n")
    code, _, err = run("eval", str(system), "--option", asked)
    assert code == 1
    assert told in err
