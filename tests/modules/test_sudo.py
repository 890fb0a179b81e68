"""security.sudo: a drop-in that `visudo -c` accepts, meaning what was declared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lower import validators
from tests.modules.lowering import lower_cli

SUDOERS = f"{validators.SUDOERS_DIR}/pydeclos"


def lower(tmp_path: Path, sudo: str) -> Path:
    tree, result = lower_cli(f"config = {{'security': {{'sudo': {sudo}}}}}\n", tmp_path)
    assert result.exit_code == 0, result.output
    return tree


def test_rules_pass_visudo_one_line_per_command(tmp_path: Path) -> None:
    tree = lower(tmp_path, '''{"enable": True, "wheel_needs_password": False,
        "extra_rules": [{"users": ["alice"], "groups": ["deploy"], "run_as": "root",
            "commands": [{"command": "/usr/bin/systemctl restart nginx.service",
                          "options": ["NOPASSWD", "SETENV"]},
                         {"command": "/usr/bin/journalctl"}]}],
        "extra_config": "Defaults timestamp_timeout=5"}''')
    sudoers = tree / SUDOERS
    assert validators.visudo(sudoers) is None
    lines = sudoers.read_text().splitlines()
    assert "%sudo ALL=(ALL:ALL) NOPASSWD: ALL" in lines
    assert ("alice,%deploy ALL=(root) NOPASSWD: SETENV: /usr/bin/systemctl restart "
            "nginx.service") in lines
    # The second command does not inherit NOPASSWD from the first.
    assert "alice,%deploy ALL=(root) /usr/bin/journalctl" in lines
    assert lines[-1] == "Defaults timestamp_timeout=5"


def test_admins_need_their_password_by_default(tmp_path: Path) -> None:
    tree = lower(tmp_path, '{"enable": True}')
    assert "NOPASSWD" not in (tree / SUDOERS).read_text()
    assert validators.visudo(tree / SUDOERS) is None


def test_sudo_off_leaves_no_trace(system) -> None:
    data = system("config = {}\n").to_data()
    assert "sudo" not in data["packages"]
    assert "sudoers.d/pydeclos" not in data["environment"]["etc"]


def test_enabled_installs_sudo(system) -> None:
    data = system('config = {"security": {"sudo": {"enable": True}}}\n').to_data()
    assert "sudo" in data["packages"]


@pytest.mark.parametrize(("rule", "option"), [
    ('{"users": ["alice"], "commands": [{"command": "/bin/ls, ALL"}]}', "command"),
    ('{"users": ["alice"], "commands": [{"command": "/bin/ls\\nalice ALL=(ALL) ALL"}]}',
     "command"),
    ('{"users": ["alice"], "commands": [{"command": "ls"}]}', "command"),
    ('{"users": ["alice"], "run_as": "root) ALL, (ALL", "commands": [{"command": "ALL"}]}',
     "run_as"),
    ('{"users": ["ALL"], "commands": [{"command": "ALL"}]}', "users"),
    ('{"users": ["alice"], "commands": [{"command": "ALL", "options": ["NOPASSWD: ALL"]}]}',
     "options"),
    ('{"commands": [{"command": "ALL"}]}', "names no `users` and no `groups`"),
    ('{"users": ["alice"]}', "has no `commands`"),
    ('{"users": ["alice"], "commands": [{"options": ["NOPASSWD"]}]}',
     "commands[0] has no `command`"),
])
def test_bad_rule_is_refused_at_the_users_line(refused, rule: str, option: str) -> None:
    refused(f'\nconfig = {{"security": {{"sudo": {{"enable": True,\n'
            f'    "extra_rules": [{rule}]}}}}}}\n', option, "system.py:3")
