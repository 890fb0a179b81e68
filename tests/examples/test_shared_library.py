"""The shared-library example works once pip-installed, and fails clearly before that.

The package is installed the ordinary way (`pip install`, with build isolation) but into a
temporary directory and without dependencies (pydeclos is already there), and put on
PYTHONPATH, so .venv stays untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples.conftest import EXAMPLES

LIBRARY = EXAMPLES / "shared-library"


def run_eval(args: list[str], pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-m", "pydeclos", *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("shared-library")
    source = work / "src"
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources.
    shutil.copytree(LIBRARY, source)
    target = work / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                             "--target", str(target), str(source)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"pip install examples/shared-library failed:\n{result.stderr}")
    return target


def test_system_uses_the_installed_module(installed: Path) -> None:
    result = run_eval(["eval", str(LIBRARY / "system.py"), "--json"], pythonpath=installed)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["security"]["hardening"]["enable"] is True
    assert data["boot"]["sysctl"]["kernel.kptr_restrict"] == 2
    assert data["boot"]["sysctl"]["net.ipv4.conf.all.accept_redirects"] is False
    assert data["services"]["openssh"]["permit_root_login"] == "no"
    assert data["services"]["openssh"]["settings"]["MaxAuthTries"] == 3
    assert "ctrl-alt-del.target" in data["systemd"]["masked"]
    sshd = data["environment"]["etc"]["ssh/sshd_config.d/pydeclos.conf"]["text"]
    assert "PermitRootLogin no" in sshd.splitlines()


def test_library_options_are_listed_with_their_file(installed: Path) -> None:
    result = run_eval(["options", str(LIBRARY / "system.py"), "--json"], pythonpath=installed)
    assert result.returncode == 0, result.stderr
    assert "security.hardening.enable" in result.stdout
    assert "pydeclos_hardening/hardening.py" in result.stdout


def test_without_the_package_the_import_fails_clearly() -> None:
    result = run_eval(["eval", str(LIBRARY / "system.py")])
    assert result.returncode == 1
    assert "hardening" in result.stderr
