"""Empty and locked passwords, and Debian's base accounts, checked with the real tools:
systemd-sysusers and the unit's own apply-passwords script (chpasswd) on a scratch root."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.lower import tools, validators
from tests.modules.lowering import lower_cli

EXTRA = "mkosi.extra"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtleWZvcnRlc3RzaW5weWRlY2xvc3Rlc3RzdWl0ZQ root@test"
SYSTEM = """\
config = {"users": {"mutable": %s, "users": {
    "kiosk": {"is_normal_user": True, "hashed_password": ""},
    "old": {"is_normal_user": True, "hashed_password": "!"},
    "root": {"ssh_authorized_keys": ["%s"], "extra_groups": ["adm"]},
}}}
"""


def lower(text: str, work: Path) -> tuple[Path, str]:
    tree, result = lower_cli(text, work)
    return tree, result.output if result.exit_code else ""


def boot(tree: Path, root: Path) -> dict[str, str]:
    """What pydeclos-passwords.service does at one boot; the shadow fields after it."""
    unit = (tree / EXTRA / "usr/lib/systemd/system/pydeclos-passwords.service").read_text()
    command = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    shutil.copy(tree / EXTRA / tools.PASSWORDS_SCRIPT, root / tools.PASSWORDS_SCRIPT)
    result = tools.apply_passwords(root, command.split()[1:])
    assert result.returncode == 0 and not result.stderr, result.stderr
    return tools.shadow(root)


@pytest.fixture
def need_chpasswd() -> None:
    tools.need("systemd-sysusers", "chpasswd")
    if os.geteuid() != 0:
        unavailable("needs root: chpasswd --root chroots")


@pytest.mark.parametrize("mutable", [True, False])
def test_empty_and_locked_passwords_reach_shadow(mutable: bool, tmp_path: Path,
                                                 need_chpasswd: None) -> None:
    tree, error = lower(SYSTEM % (mutable, KEY), tmp_path)
    assert not error, error
    root = tools.applied_root(tree / EXTRA, tmp_path / "root")
    shadow = boot(tree, root)
    assert (shadow["kiosk"], shadow["old"]) == ("", "!")
    # `passwd` on the machine: kept with users.mutable, undone at the next boot without.
    done = tools.run(["chpasswd", f"--root={root}", "--encrypted"], input="kiosk:$6$x$y\n")
    assert done.returncode == 0, done.stderr
    assert boot(tree, root)["kiosk"] == ("$6$x$y" if mutable else "")


def test_nothing_but_the_password_state_is_in_usr(tmp_path: Path) -> None:
    tree, error = lower(SYSTEM % (True, KEY), tmp_path)
    assert not error, error
    unit = (tree / EXTRA / "usr/lib/systemd/system/pydeclos-passwords.service").read_text()
    assert "ExecStart=/usr/lib/pydeclos/apply-passwords kiosk= old=!" in unit.splitlines()


def test_declared_root_gets_no_sysusers_line_and_stays_root(tmp_path: Path) -> None:
    """`u root -:nogroup` was written for a root declared only for its keys."""
    tools.need("systemd-sysusers", "systemd-tmpfiles")
    tree, error = lower(SYSTEM % (True, KEY), tmp_path)
    assert not error, error
    sysusers = (tree / EXTRA / "usr/lib/sysusers.d/pydeclos.conf").read_text().splitlines()
    assert [line for line in sysusers if " root " in f"{line} "] == ["m root adm"]
    problem, root = validators.accounts(tree, tmp_path / "check")
    assert problem is None, problem
    assert tools.passwd(root)["root"][2:] == ["0", "0", "root", "/root", "/bin/bash"]
    assert "root" in tools.group(root)["adm"][3].split(",")


MISUSE = [
    pytest.param('"password": ""', ['hashed_password = ""', 'hashed_password = "!"'],
                 id="empty-clear-text"),
    pytest.param('"hashed_password": "", "hashed_password_file": "/etc/credstore/a.hash"',
                 ["both hashed_password (no password)", "keep one"], id="empty-and-file"),
    pytest.param('"hashed_password": "$6$salt$abcdefgh"',
                 ["shipped in /usr", "hashed_password_file"], id="real-hash-still-refused"),
]


@pytest.mark.parametrize("settings,words", MISUSE)
def test_password_misuse_names_the_users_line(settings: str, words: list[str],
                                               tmp_path: Path) -> None:
    _, error = lower('config = {"users": {"users": {"alice": {"is_normal_user": True,\n'
                     f'    {settings}}}}}}}}}\n', tmp_path)
    assert "system.py:2" in error, error
    for word in words:
        assert word in error, error
