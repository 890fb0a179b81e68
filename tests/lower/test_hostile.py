"""Values that would change the meaning of a generated file are refused where the user
wrote them: `pydeclos eval` already fails, naming the option and the user's system.py:N.

Lowering itself checks nothing: a value that reaches it was accepted by its option's type.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.errors import PydeclosError
from pydeclos.system import system_config

SVC = '"systemd": {"services": {"x": {"exec_start": ["/bin/true"], '

# (case, the system file's config literal, words the error must contain besides system.py:3)
HOSTILE: list[tuple[str, str, str]] = [
    ("newline in hostname", '{"networking": {"hostname": "web\\n[Service]"}}',
     "networking.hostname"),
    ("unit name with newline",
     '{"systemd": {"services": {"a\\nExecStart=/bin/evil": {"exec_start": ["/bin/true"]}}}}',
     "systemd.services"),
    ("unit name with slash",
     '{"systemd": {"services": {"../../etc/evil": {"exec_start": ["/bin/true"]}}}}',
     "../../etc/evil"),
    ("section injected through a command",
     '{"systemd": {"services": {"x": {"exec_start": ["/bin/true\\n[Install]\\nWantedBy=a"]}}}}',
     "systemd.services.x.exec_start"),
    ("key with '='", "{" + SVC + '"unit_config": {"After=evil.service\\nX": "y"}}}}}',
     "unit_config"),
    ("trailing backslash joins the next line", "{" + SVC + '"service_config": {"Nice": "5\\\\"}}}}}',
     "service_config"),
    ("empty command that would reset the list",
     '{"systemd": {"services": {"x": {"type": "oneshot", "exec_start": ["/bin/true", ""]}}}}',
     "systemd.services.x.exec_start"),
    ("bad wanted_by", "{" + SVC + '"wanted_by": ["multi-user.target/../../x"]}}}}',
     "wanted_by"),
    ("newline in an environment value",
     "{" + SVC + '"environment": {"A": "1\\nExecStartPre=/bin/evil"}}}}}', "environment"),
    ("preset injection", '{"systemd": {"enabled": ["ssh.service\\nenable *"]}}', "systemd.enabled"),
    ("drop-in escaping its directory",
     '{"systemd": {"drop_ins": {"ssh.service": {"../../../etc/evil": "[Service]\\n"}}}}',
     "systemd.drop_ins"),
    ("tmpfiles rule smuggling a second line",
     '{"systemd": {"tmpfiles": {"rules": ["d /srv 0755 - - -\\nL+ /etc/shadow - - - - /x"]}}}',
     "systemd.tmpfiles.rules"),
    ("etc path with ..", '{"environment": {"etc": {"../shadow": {"text": "x"}}}}', "../shadow"),
    ("etc path that is absolute", '{"environment": {"etc": {"/etc/passwd": {"text": "x"}}}}',
     "/etc/passwd"),
    ("etc path hidden in the middle", '{"environment": {"etc": {"a/../../x": {"text": "x"}}}}',
     "a/../../x"),
    ("etc entry replacing the account database",
     '{"environment": {"etc": {"shadow": {"text": "root::0:0:::::\\n"}}}}', "shadow"),
    ("etc entry that the hostname option owns",
     '{"environment": {"etc": {"hostname": {"text": "other\\n"}}}}', "networking.py"),
    ("etc entry replacing os-release (IMAGE_VERSION lives there)",
     '{"environment": {"etc": {"os-release": {"text": "ID=evil\\n"}}}}', "os-release"),
    ("etc file that another entry needs as a directory",
     '{"environment": {"etc": {"app": {"text": "x"}, "app/conf": {"text": "y"}}}}',
     "cannot be inside it"),
    ("user named like a passwd line",
     '{"users": {"users": {"root:x:0": {"is_normal_user": True}}}}', "root:x:0"),
    ("user name that sysusers refuses", '{"users": {"users": {"machine$": {}}}}', "machine$"),
    ("description closing its quotes",
     '{"users": {"users": {"eve": {"description": \'x" 0 /root /bin/sh\'}}}}',
     "users.users.eve.description"),
    ("home with a space", '{"users": {"users": {"eve": {"home": "/home/eve /etc"}}}}',
     "users.users.eve.home"),
    ("clear-text password", '{"users": {"users": {"eve": {"hashed_password": "hunter2"}}}}',
     "users.users.eve.hashed_password"),
    ("extra group with a newline",
     '{"users": {"users": {"eve": {"extra_groups": ["sudo\\nm eve root"]}}}}',
     "users.users.eve.extra_groups"),
    ("kernel parameter with a space", '{"boot": {"kernel_params": ["quiet init=/bin/sh"]}}',
     "boot.kernel_params"),
    ("kernel parameter with quotes", '{"boot": {"kernel_params": [\'init="/bin/sh"\']}}',
     "boot.kernel_params"),
    ("kernel parameter choosing the /usr slot",
     '{"boot": {"kernel_params": ["console=ttyS0", "mount.usr=/dev/sda2"]}}',
     "boot.kernel_params"),
    ("package list injection", '{"packages": ["htop\\nPackages=evil"]}', "packages"),
    ("mirror with a newline", '{"image": {"mirror": "http://x/\\nURIs: http://evil/"}}',
     "image.mirror"),
    ("image id walking out of the ESP", '{"image": {"id": "../../x"}}', "image.id"),
    ("image id starting with '_'", '{"image": {"id": "_web"}}', "image.id"),
    ("partition size that is not a size", '{"image": {"usr_size": "1G\\nCopyFiles=/etc:/"}}',
     "image.usr_size"),
    ("firewall rules leaving the input chain",
     '{"networking": {"firewall": {"extra_rules": "}\\n}\\ntable inet evil { chain x { } }"}}}',
     "networking.firewall.extra_rules"),
    ("port out of range", '{"networking": {"firewall": {"allowed_tcp_ports": [70000]}}}',
     "networking.firewall.allowed_tcp_ports"),
    ("mount point with a space",
     '{"file_systems": {"/srv/a b": {"device": "tmpfs", "fs_type": "tmpfs"}}}', "/srv/a b"),
    ("fstab device with a tab",
     '{"file_systems": {"/srv": {"device": "LABEL=x\\t/\\text4", "fs_type": "ext4"}}}',
     "device"),
    ("time zone walking out of zoneinfo", '{"time": {"timezone": "../../../etc/shadow"}}',
     "time.timezone"),
    ("sysctl key with a newline", '{"boot": {"sysctl": {"kernel.x\\nkernel.y": "1"}}}',
     "boot.sysctl"),
    ("sysctl key that is no dotted name", '{"boot": {"sysctl": {"kernel": "1"}}}', "boot.sysctl"),
    ("interface address that is not one",
     '{"networking": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24\\nDNS=x"]}}}}',
     "addresses"),
    ("variable name with shell code",
     '{"environment": {"variables": {"A=1; rm -rf /; B": "x"}}}', "environment.variables"),
    ("server alias with a colon",
     '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv", '
     '"server_aliases": ["g:s"]}}}}}', "server_aliases"),
]


def write_system(tmp_path: Path, literal: str) -> Path:
    system = tmp_path / "system.py"
    system.write_text(f'"""A hostile value."""\n\nconfig = {literal}\n')
    return system


@pytest.mark.parametrize(("case", "literal", "words"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_value_is_rejected_at_the_users_line(case: str, literal: str, words: str,
                                                    tmp_path: Path) -> None:
    with pytest.raises(PydeclosError) as caught:
        system_config(write_system(tmp_path, literal))
    message = str(caught.value)
    assert "system.py:3" in message, message
    assert words in message, message


def test_no_error_text_echoes_a_raw_newline(tmp_path: Path) -> None:
    """Errors quote hostile values, so a newline in a value cannot fake output."""
    with pytest.raises(PydeclosError) as caught:
        system_config(write_system(tmp_path, '{"boot": {"kernel_params": ["a\\nerror: all good"]}}'))
    assert "\nerror: all good" not in str(caught.value)


def test_eval_and_lower_reject_alike(tmp_path: Path) -> None:
    """One rule, once: what eval accepts, lower writes; what it refuses, neither does."""
    system = write_system(tmp_path, '{"users": {"users": {"machine$": {}}}}')
    for args in (["eval", "--json", str(system)], ["lower", str(system), "-o", str(tmp_path / "t")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "system.py:3" in result.output, result.output
    assert not (tmp_path / "t").exists()
