"""High-level services turn into packages, units, /etc files and firewall ports."""

from __future__ import annotations

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtleWZvcnRlc3RzaW5weWRlY2xvc3Rlc3RzdWl0ZQ alice@test"


def test_openssh_installs_enables_configures_and_opens_its_port(system) -> None:
    data = system(f'''
        config = {{
            "users": {{"users": {{"alice": {{"is_normal_user": True,
                                           "ssh_authorized_keys": ["{KEY}"]}}}}}},
            "services": {{"openssh": {{"enable": True, "ports": [22, 2222],
                                      "settings": {{"X11Forwarding": False,
                                                    "AllowUsers": ["alice", "bob"]}}}}}},
        }}
    ''').to_data()
    assert "openssh-server" in data["packages"]
    assert "ssh.service" in data["systemd"]["enabled"]
    assert data["networking"]["firewall"]["allowed_tcp_ports"] == [22, 2222]
    sshd = data["environment"]["etc"]["ssh/sshd_config.d/pydeclos.conf"]["text"]
    lines = sshd.splitlines()
    for line in ["Port 22", "Port 2222", "PasswordAuthentication no",
                 "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
                 "X11Forwarding no", "AllowUsers alice bob"]:
        assert line in lines
    keys = data["environment"]["etc"]["ssh/authorized_keys.d/alice"]["text"]
    assert keys == KEY + "\n"
    keygen = data["systemd"]["services"]["ssh-host-keys"]
    assert keygen["exec_start"] == ["/usr/bin/ssh-keygen -A"]
    assert keygen["before"] == ["ssh.service"]
    # After Debian 13's own first-boot keygen, never beside it (one key pair per type).
    assert keygen["after"] == ["sshd-keygen.service"]
    first_boot = data["systemd"]["services"]["ssh-host-keys-first-boot"]
    assert first_boot["unit_config"] == {"ConditionFirstBoot": "yes"}
    assert first_boot["before"] == ["ssh-host-keys.service", "sshd-keygen.service"]


def test_openssh_can_keep_the_firewall_closed(system) -> None:
    data = system('config = {"services": {"openssh": {"enable": True,'
                  ' "open_firewall": False}}}\n').to_data()
    assert data["networking"]["firewall"]["allowed_tcp_ports"] == []


def test_ports_opened_twice_are_listed_once(system) -> None:
    data = system('config = {"services": {"openssh": {"enable": True}},'
                  ' "networking": {"firewall": {"allowed_tcp_ports": [443, 22]}}}\n').to_data()
    assert data["networking"]["firewall"]["allowed_tcp_ports"] == [22, 443]


def test_nginx_writes_one_server_block_per_virtual_host(system) -> None:
    data = system('''
        config = {"services": {"nginx": {"enable": True, "open_firewall": True,
            "virtual_hosts": {
                "example.org": {"root": "/srv/www", "server_aliases": ["www.example.org"]},
                "api.example.org": {"proxy_pass": "http://127.0.0.1:8080", "port": 8000},
            }}}}
    ''').to_data()
    assert "nginx" in data["packages"]
    assert "nginx.service" in data["systemd"]["enabled"]
    assert data["networking"]["firewall"]["allowed_tcp_ports"] == [80, 8000]
    text = data["environment"]["etc"]["nginx/conf.d/pydeclos.conf"]["text"]
    assert text.count("server {") == 2
    assert "server_name example.org www.example.org;" in text
    assert "root /srv/www;" in text
    assert "listen 8000 default_server;" in text
    assert "proxy_pass http://127.0.0.1:8080;" in text
    assert text.count("{") == text.count("}")


def test_cron_job_becomes_a_oneshot_service_and_a_timer(system) -> None:
    data = system('''
        config = {
            "users": {"users": {"backup": {"is_system_user": True}}},
            "services": {"cron_jobs": {"nightly": {
                "schedule": "*-*-* 03:30:00", "user": "backup",
                "command": "echo '50%' $HOME"}}},
        }
    ''').to_data()
    service = data["systemd"]["services"]["cron-nightly"]
    assert service["type"] == "oneshot"
    assert service["user"] == "backup"
    assert service["exec_start"] == ["/bin/sh -c 'echo \\'50%%\\' $$HOME'"]
    timer = data["systemd"]["timers"]["cron-nightly"]
    assert timer["on_calendar"] == ["*-*-* 03:30:00"]
    assert timer["persistent"] is True
    assert timer["wanted_by"] == ["timers.target"]


def test_getty_autologin_overrides_both_getty_templates(system) -> None:
    data = system('''
        config = {"users": {"users": {"alice": {"is_normal_user": True}}},
                  "services": {"getty": {"autologin_user": "alice"}}}
    ''').to_data()
    drop_ins = data["systemd"]["drop_ins"]
    for unit in ("getty@.service", "serial-getty@.service"):
        text = drop_ins[unit]["autologin"]
        assert text.startswith("[Service]\nExecStart=\n")
        assert "--autologin alice" in text
    assert "--keep-baud" in drop_ins["serial-getty@.service"]["autologin"]
