"""The injections issue 10 found, one line per case: each value is refused when the system
is evaluated, with the option and the user's line, or written so that it means what was
declared (checked by the tool that reads the file)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.lower import tools, validators

NGINX = '"services.nginx.enable": True,\n'
SSH = '"services.openssh.enable": True,\n'
ALICE = '"users.users.alice": {"is_normal_user": True},\n'

# (what is set, on line 3 of system.py; the option path the error must name)
REFUSED = [
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"root": "/srv; autoindex on"}}',
                 "root", id="nginx-root-semicolon"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"root": "/srv }"}}',
                 "root", id="nginx-root-brace"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"root": "/srv\\nlisten 1;"}}',
                 "root", id="nginx-root-newline"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"proxy_pass": '
                 '"http://b;} server {"}}', "proxy_pass", id="nginx-proxy-pass-brace"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org\\n": {"root": "/srv"}}',
                 "services.nginx.virtual_hosts", id="nginx-server-name-trailing-newline"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"root": "/srv", '
                 '"server_aliases": ["b.org;"]}}', "server_aliases", id="nginx-alias-semicolon"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"proxy_pass": '
                 '"http://127...0.0.1:8080"}}', "proxy_pass", id="nginx-proxy-pass-empty-label"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"root": "/srv", '
                 '"server_aliases": ["~a\\\\"]}}', "server_aliases",
                 id="nginx-regex-name-escapes-the-semicolon"),
    pytest.param(SSH + '"services.openssh.settings": {"Banner": "/etc/issue\\r"}',
                 "services.openssh.settings", id="sshd-value-cr"),
    pytest.param(SSH + '"services.openssh.settings": {"Banner": "/etc/issue\\x00"}',
                 "services.openssh.settings", id="sshd-value-nul"),
    pytest.param(SSH + '"services.openssh.settings": {"Banner": "/etc/issue\\n"}',
                 "services.openssh.settings", id="sshd-value-trailing-newline"),
    pytest.param(SSH + '"services.openssh.settings": {"Banner": "/x #y"}',
                 "services.openssh.settings", id="sshd-value-comment"),
    pytest.param(SSH + '"services.openssh.settings": {"AllowUsers": ["alice\\r"]}',
                 "services.openssh.settings", id="sshd-list-item-cr"),
    pytest.param(SSH + '"services.openssh.settings": {"Banner\\n": "/etc/issue"}',
                 "services.openssh.settings", id="sshd-key-trailing-newline"),
    pytest.param('"packages": ["htop\\n"]', "packages", id="package-trailing-newline"),
    # A control character in a "word" type crashed a module's renderer (no line named).
    pytest.param('"time.ntp.servers": ["pool.ntp.org\\x00"]', "time.ntp.servers",
                 id="ntp-server-nul"),
    pytest.param('"systemd.sockets.x": {"listen_stream": ["/run/x.sock\\x00"]}',
                 "listen_stream", id="socket-address-nul"),
    pytest.param('"systemd.mounts": {"/srv/x": {"what": "/dev/vdb\\x1b", "type": "ext4"}}',
                 "what", id="mount-what-escape"),
    pytest.param('"boot.kernel_params": ["quiet\\x00"]', "boot.kernel_params",
                 id="kernel-param-nul"),
    # Found by the fuzzer on the contract: refused only by a module's line, or by the disk.
    pytest.param(ALICE + '"services.cron_jobs": {"b": {"command": "tar\\x7f"}}',
                 "services.cron_jobs", id="cron-command-delete-char"),
    pytest.param('"environment.etc": {"d/' + "x" * 256 + '": {"text": "x"}}',
                 "environment.etc", id="etc-file-name-too-long"),
    pytest.param(NGINX + '"services.nginx.virtual_hosts": {"a.org": {"proxy_pass": '
                 '"http://127.0.0.1:8080%"}}', "proxy_pass", id="nginx-proxy-pass-bad-port"),
    pytest.param('"users.users.eve": {"is_normal_user": True, "shell": "/bin/sh:0"}',
                 "users.users.eve.shell", id="passwd-field-separator-in-shell"),
    # Refused while lowering: the CLI finds the user's line of the option the error names.
    pytest.param('"users.users.eve": {"description": "x\\" 0 /root /bin/sh"}',
                 "users.users.eve.description", id="lowering-error-gecos-quote"),
    pytest.param('"systemd.services.x": {"exec_start": ["/bin/true"], '
                 '"unit_config": {"A=b\\nc": "d"}}', "systemd.services.x.unit_config",
                 id="lowering-error-unit-key"),
]

# A regex check that used `match` where `fullmatch` was meant let a trailing newline pass
# `^...$`; the types (pydeclos/types.py, all fullmatch) refuse it at the user's line.
FULLMATCH = [
    pytest.param('"users.users": {"alice\\n": {"is_normal_user": True}}', "alice",
                 id="user-name"),
    pytest.param('"users.groups": {"ops\\n": {}}', "users.groups", id="group-name"),
    pytest.param(ALICE + '"services.cron_jobs": {"backup\\n": {"command": "true"}}',
                 "services.cron_jobs", id="cron-job-name"),
    pytest.param('"networking.hostname": "web\\n"', "networking.hostname", id="hostname"),
    pytest.param('"boot.kernel_modules": ["kvm\\n"]', "boot.kernel_modules",
                 id="kernel-module"),
    pytest.param('"image.id": "os\\n"', "image.id", id="image-id"),
    pytest.param('"image.mirror": "http://x\\n"', "image.mirror", id="image-mirror"),
]


def lower(tmp_path: Path, body: str) -> tuple[object, Path, Path]:
    system = tmp_path / "system.py"
    system.write_text("def config(cfg):\n    return {\n"
                      + textwrap.indent(body, "        ") + ",\n    }\n")
    out = tmp_path / "out"
    return CliRunner().invoke(main, ["lower", str(system), "-o", str(out)]), system, out


@pytest.mark.parametrize(("body", "option"), REFUSED)
def test_injection_is_refused_at_the_users_line(tmp_path: Path, body: str, option: str) -> None:
    result, system, out = lower(tmp_path, body)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert option in result.output
    line = len(body.splitlines()) + 2  # the fuzzed definition is the body's last line
    assert f"{system}:{line}" in result.output, result.output
    assert not out.exists()


@pytest.mark.parametrize(("body", "option"), FULLMATCH)
def test_name_with_trailing_newline_is_refused_at_eval(tmp_path: Path, body: str,
                                                        option: str) -> None:
    result, system, out = lower(tmp_path, body)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert option in result.output, result.output
    assert f"{system}:{len(body.splitlines()) + 2}" in result.output, result.output
    assert not out.exists()


@pytest.mark.parametrize("description", [
    "Alice 100%", "Alice %a", "%%", "50% off %H",
])
def test_full_name_with_percent_reaches_passwd_as_written(tmp_path: Path,
                                                          description: str) -> None:
    """sysusers expands `%` specifiers in the GECOS field (and refuses unknown ones, which
    skipped the user): the name must arrive in /etc/passwd as it was declared."""
    body = f'"users.users.alice": {{"is_normal_user": True, "description": {description!r}}}'
    result, _, out = lower(tmp_path, body)
    assert result.exit_code == 0, result.output
    problem, root = validators.accounts(out, tmp_path / "scratch")
    assert problem is None, problem
    assert tools.passwd(root)["alice"][4] == description


def test_nginx_and_sshd_accept_what_pydeclos_writes(tmp_path: Path) -> None:
    """The checks above refuse only what would break the file: ordinary values pass."""
    body = (NGINX + SSH + '"services.nginx.virtual_hosts": {"a.org": {"root": "/srv/www", '
            '"server_aliases": ["www.a.org", "*.a.org", "~^w[0-9]+\\\\.a\\\\.org$"]}, '
            '"b.org": {"proxy_pass": '
            '"http://127.0.0.1:8080/app/"}, "c.org": {"proxy_pass": "unix:/run/app.sock"}},\n'
            '"services.openssh.settings": {"Banner": '
            '"/etc/issue.net", "AllowUsers": ["alice", "bob"], "X11Forwarding": False}')
    result, _, out = lower(tmp_path, body)
    assert result.exit_code == 0, result.output
    assert validators.nginx(out / validators.NGINX_CONF, tmp_path / "nginx") is None
    assert validators.sshd(out / validators.SSHD_CONF, tmp_path / "sshd") is None
