"""`pydeclos stubs`: mypy, reading the generated stubs, rejects a misspelt option and a wrongly
typed value at their lines, and accepts every example (annotated as docs/editors.md says)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.examples.conftest import EXAMPLES

HEADER = '''\
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydeclos_config import Config


def config(cfg) -> "Config":
'''


def write_stubs(out: Path, file: Path | None = None, pythonpath: Path | None = None) -> Path:
    """`pydeclos stubs -o out [file]` in a fresh process (as a user runs it)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    args = [sys.executable, "-m", "pydeclos", "stubs", "-o", str(out)]
    result = subprocess.run([*args, *([str(file)] if file else [])], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def mypy(stubs: Path, work: Path, *files: Path) -> subprocess.CompletedProcess:
    """mypy set up as docs/editors.md says: `mypy_path` names the stub directory."""
    config = work / "mypy.ini"
    config.write_text(f"[mypy]\nmypy_path = {stubs}\n")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir",
         str(stubs.parent / "mypy-cache"), "--no-error-summary", *map(str, files)],
        capture_output=True, text=True, cwd=work, timeout=600)


@pytest.fixture(scope="module")
def stdlib_stubs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stubs(tmp_path_factory.mktemp("stubs") / "typings")


def system_file(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(HEADER + textwrap.indent(textwrap.dedent(body), "    "))
    return path


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1)
                if text in line)


def test_a_misspelt_option_and_a_wrong_type_are_errors_at_their_lines(
        stdlib_stubs: Path, tmp_path: Path) -> None:
    misspelt = system_file(tmp_path, "misspelt.py", """\
        return {
            "networking": {"hostname": "web1"},
            "services": {"openssh": {"enable": True, "permit_rot_login": "no"}},
        }
        """)
    wrong = system_file(tmp_path, "wrong_type.py", """\
        return {
            "networking": {
                "hostname": "web1",
                "firewall": {"allowed_tcp_ports": ["80"]},
            },
            "services": {"openssh": {"permit_root_login": "maybe"}},
        }
        """)
    result = mypy(stdlib_stubs, tmp_path, misspelt, wrong)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert (f'misspelt.py:{line_of(misspelt, "permit_rot_login")}: error: Extra key '
            f'"permit_rot_login" for TypedDict "ServicesOpenssh"') in out, out
    assert re.search(rf'wrong_type.py:{line_of(wrong, "allowed_tcp_ports")}: error: .*"str".*"int"',
                     out), out
    assert re.search(rf'wrong_type.py:{line_of(wrong, "maybe")}: error: .*"permit_root_login"', out), out
    assert len(out.strip().splitlines()) == 3, out  # the lines that are right pass


def test_the_same_files_still_evaluate_without_the_stubs(tmp_path: Path) -> None:
    """The annotation costs nothing at run time: no stub package needs to be importable."""
    good = system_file(tmp_path, "system.py", """\
        return {"networking": {"hostname": "web1"}}
        """)
    result = CliRunner().invoke(main, ["eval", str(good), "--option", "networking.hostname"])
    assert result.exit_code == 0, result.output
    assert "web1" in result.output


@pytest.mark.parametrize("name", ["minimal", "server", "web"])
def test_every_example_passes_mypy(stdlib_stubs: Path, tmp_path: Path, name: str) -> None:
    system = EXAMPLES / name / "system.py"
    assert '-> "Config"' in system.read_text(), "annotate the example as docs/editors.md says"
    result = mypy(stdlib_stubs, tmp_path, system)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_shared_library_example_passes_mypy_with_its_library_options(tmp_path: Path) -> None:
    """The stubs of a system cover the options of the installed libraries it imports."""
    library = EXAMPLES / "shared-library"
    shutil.copytree(library, tmp_path / "src")
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                                "--target", str(site), str(tmp_path / "src")],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    stubs = write_stubs(tmp_path / "typings", library / "system.py", pythonpath=site)
    text = (stubs / "pydeclos_config" / "__init__.pyi").read_text()
    assert "class SecurityHardening(TypedDict, total=False):" in text
    result = mypy(stubs, tmp_path, library / "system.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_fields_carry_the_option_description(stdlib_stubs: Path) -> None:
    text = (stdlib_stubs / "pydeclos_config" / "__init__.pyi").read_text()
    field = re.search(r"\n    hostname: str \| _Property\n    \"\"\"(.*?)\"\"\"", text, re.S)
    assert field is not None
    assert "Declared in: modules/config/networking.py:" in field.group(1)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stubs", "-o", str(tmp_path), str(tmp_path / "nope.py")])
    assert result.exit_code == 2
    assert "nope.py does not exist" in result.output


def test_options_of_a_sibling_module_are_typed(tmp_path: Path) -> None:
    """A module the system imports by path declares options; its stubs have them, with
    enums as Literals, and keywords (`return`) as keys."""
    (tmp_path / "app.py").write_text(textwrap.dedent('''\
        from typing import Literal
        from pydeclos import option, types as t

        options = {"app": {
            "mode": option(Literal["fast", "safe"], default="safe", description="How it runs."),
            "workers": option(t.positive, default=1, description="Worker count."),
            "return": option(str, default="", description="A keyword as a name."),
        }}
        '''))
    system = system_file(tmp_path, "system.py", """\
        return {"app": {"mode": "quick", "return": "x", "workers": 2}}
        """)
    system.write_text('imports = ["./app.py"]\n' + system.read_text())
    CliRunner().invoke(main, ["stubs", "-o", str(tmp_path / "typings"), str(system)],
                       catch_exceptions=False)
    text = (tmp_path / "typings" / "pydeclos_config" / "__init__.pyi").read_text()
    assert "mode: Literal['fast', 'safe'] | _Property\n    \"\"\"How it runs." in text
    result = mypy(tmp_path / "typings", tmp_path, system)
    assert result.returncode == 1
    assert re.fullmatch(r'system.py:\d+: error: .*"mode".*\n', result.stdout), result.stdout
