"""A non-editable install works outside the source tree and carries the module library."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"pip install . failed:\n{result.stdout}\n{result.stderr}")
    return venv


def test_console_script_runs_outside_the_tree(installed_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(installed_venv / "bin" / "pydeclos"), "--help"],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "eval" in result.stdout and "switch" in result.stdout
    module = subprocess.run([str(installed_venv / "bin" / "python"), "-m", "pydeclos", "--version"],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "pydeclos" in module.stdout


def test_module_library_ships_inside_the_wheel(installed_venv: Path, tmp_path: Path) -> None:
    probe = (
        "from pydeclos.library import library_dir, stdlib_modules\n"
        "print(library_dir())\n"
        "print(len(stdlib_modules()))\n"
        "print(all(p.is_file() for p in stdlib_modules()))\n"
    )
    result = subprocess.run([str(installed_venv / "bin" / "python"), "-c", probe],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    where, count, all_exist = result.stdout.split()
    assert Path(where).is_relative_to(installed_venv), where
    expected = subprocess.run([sys.executable, "-c", "from pydeclos.library import "
                               "stdlib_modules; print(len(stdlib_modules()))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert count == expected
    assert all_exist == "True"


def test_release_name_lists_ship_inside_the_wheel(installed_venv: Path, tmp_path: Path) -> None:
    """The locale and keymap checks read pydeclos/data; without it they would be skipped."""
    probe = ("from pydeclos.data import DATA, known_names\n"
             "print(DATA)\n"
             "print(len(known_names('trixie', 'locales') or ()), "
             "len(known_names('trixie', 'keymaps') or ()))\n")
    result = subprocess.run([str(installed_venv / "bin" / "python"), "-c", probe],
                            cwd=tmp_path, capture_output=True, text=True, check=True)
    where, locales, keymaps = result.stdout.split()
    assert Path(where).is_relative_to(installed_venv), where
    assert int(locales) > 100 and int(keymaps) > 100
