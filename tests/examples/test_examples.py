"""`pydeclos eval` of each example gives the expected configuration (plus a full snapshot)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pydeclos.cli import main
from tests.examples.conftest import EXAMPLES, evaluate_example


def test_minimal(snapshot) -> None:
    result = evaluate_example(EXAMPLES / "minimal" / "system.py")
    assert result.warnings == []
    data = result.to_data()
    assert data["networking"]["hostname"] == "minimal"
    alice = data["users"]["users"]["alice"]
    assert alice["is_normal_user"] is True
    assert alice["extra_groups"] == ["sudo"]
    assert data["environment"]["etc"]["ssh/authorized_keys.d/alice"]["text"].startswith(
        "ssh-ed25519 ")
    assert "openssh-server" in data["packages"]
    assert "ssh.service" in data["systemd"]["enabled"]
    assert data["networking"]["firewall"]["allowed_tcp_ports"] == [22]
    assert data["file_systems"]["/srv/scratch"] == {
        "device": "tmpfs", "fs_type": "tmpfs", "options": ["size=64M", "mode=1777"],
        "needed_for_boot": False, "auto_format": False}
    assert data["boot"]["kernel_params"] == ["console=ttyS0"]
    assert data == snapshot


def test_server(snapshot) -> None:
    result = evaluate_example(EXAMPLES / "server" / "system.py")
    assert result.warnings == []
    data = result.to_data()
    assert data["networking"]["hostname"] == "web1"
    assert data["networking"]["domain"] == "example.org"
    assert sorted(data["users"]["users"]) == ["alice", "bob"]
    assert data["users"]["groups"] == {"deploy": {"gid": None, "members": []}}
    assert data["networking"]["firewall"]["allowed_tcp_ports"] == [22, 80]
    assert "tcp dport 9100" in data["networking"]["firewall"]["extra_rules"]
    assert data["file_systems"]["/srv/data"]["device"] == "LABEL=data"
    assert data["time"]["timezone"] == "Europe/Berlin"
    nginx = data["environment"]["etc"]["nginx/conf.d/pydeclos.conf"]["text"]
    assert "server_name example.org www.example.org;" in nginx
    assert "proxy_pass http://127.0.0.1:8080;" in nginx
    assert data["systemd"]["timers"]["cron-backup-etc"]["on_calendar"] == ["*-*-* 03:30:00"]
    assert data["systemd"]["services"]["cron-backup-etc"]["type"] == "oneshot"
    for name in ("htop", "rsync", "nginx", "openssh-server", "nftables"):
        assert name in data["packages"]
    assert data == snapshot


def test_eval_cli_prints_the_same_configuration() -> None:
    path = EXAMPLES / "minimal" / "system.py"
    result = CliRunner().invoke(main, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == evaluate_example(path).to_data()
