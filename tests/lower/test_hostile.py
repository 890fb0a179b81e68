"""Values that would change the meaning of a generated file are refused, never written.

Each case names the option path the error must point at: the user fixes their
configuration, not our output.
"""

from __future__ import annotations

from typing import Any

import pytest

from pydeclos.errors import PydeclosError
from pydeclos.lower import lower
from pydeclos.lower.errors import LoweringError
from tests.lower.configs import config, etc, file_system, service, user

HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("newline in hostname", {"networking": {"hostname": "web\n[Service]"}}, "networking.hostname"),
    ("unit name with newline",
     {"systemd": {"services": {"a\nExecStart=/bin/evil": service(exec_start=["/bin/true"])}}},
     "systemd.services.a\nExecStart=/bin/evil"),
    ("unit name with slash",
     {"systemd": {"services": {"../../etc/evil": service(exec_start=["/bin/true"])}}},
     "systemd.services.../../etc/evil"),
    ("section injected through a command",
     {"systemd": {"services": {"x": service(exec_start=["/bin/true\n[Install]\nWantedBy=a"])}}},
     "systemd.services.x.exec_start[0]"),
    ("key with '='", {"systemd": {"services": {"x": service(
        exec_start=["/bin/true"], unit_config={"After=evil.service\nX": "y"})}}},
     "systemd.services.x.unit_config.After=evil.service\nX"),
    ("trailing backslash joins the next line", {"systemd": {"services": {"x": service(
        exec_start=["/bin/true"], service_config={"Nice": "5\\"})}}},
     "systemd.services.x.service_config.Nice"),
    ("empty command that would reset the list", {"systemd": {"services": {"x": service(
        type="oneshot", exec_start=["/bin/true", ""])}}}, "systemd.services.x.exec_start[1]"),
    ("bad wanted_by", {"systemd": {"services": {"x": service(
        exec_start=["/bin/true"], wanted_by=["multi-user.target/../../x"])}}},
     "systemd.services.x.wanted_by[0]"),
    ("newline in an environment value", {"systemd": {"services": {"x": service(
        exec_start=["/bin/true"], environment={"A": "1\nExecStartPre=/bin/evil"})}}},
     "systemd.services.x.environment.A"),
    ("preset injection", {"systemd": {"enabled": ["ssh.service\nenable *"]}},
     "systemd.enabled[0]"),
    ("drop-in escaping its directory",
     {"systemd": {"drop_ins": {"ssh.service": {"../../../etc/evil": "[Service]\n"}}}},
     "systemd.drop_ins.ssh.service.../../../etc/evil"),
    ("tmpfiles rule smuggling a second line",
     {"systemd": {"tmpfiles": {"rules": ["d /srv 0755 - - -\nL+ /etc/shadow - - - - /x"]}}},
     "systemd.tmpfiles.rules[0]"),
    ("etc path with ..", {"environment": {"etc": {"../shadow": etc(text="x")}}},
     "environment.etc.../shadow"),
    ("etc path that is absolute", {"environment": {"etc": {"/etc/passwd": etc(text="x")}}},
     "environment.etc./etc/passwd"),
    ("etc path hidden in the middle", {"environment": {"etc": {"a/../../x": etc(text="x")}}},
     "environment.etc.a/../../x"),
    ("etc entry replacing the account database",
     {"environment": {"etc": {"shadow": etc(text="root::0:0:::::\n")}}}, "environment.etc.shadow"),
    ("etc entry that the hostname option owns",
     {"environment": {"etc": {"hostname": etc(text="other\n")}}}, "environment.etc.hostname"),
    ("etc entry replacing os-release (IMAGE_VERSION lives there)",
     {"environment": {"etc": {"os-release": etc(text="ID=evil\n")}}}, "environment.etc.os-release"),
    ("etc file that another entry needs as a directory",
     {"environment": {"etc": {"app": etc(text="x"), "app/conf": etc(text="y")}}},
     "environment.etc.app/conf"),
    ("user named like a passwd line", {"users": {"users": {"root:x:0": user(is_normal_user=True)}}},
     "users.users.root:x:0"),
    ("description closing its quotes",
     {"users": {"users": {"eve": user(description='x" 0 /root /bin/sh')}}},
     "users.users.eve.description"),
    ("home with a space", {"users": {"users": {"eve": user(home="/home/eve /etc")}}},
     "users.users.eve.home"),
    ("clear-text password", {"users": {"users": {"eve": user(hashed_password="hunter2")}}},
     "users.users.eve.hashed_password"),
    ("extra group with a newline",
     {"users": {"users": {"eve": user(extra_groups=["sudo\nm eve root"])}}},
     "users.users.eve.extra_groups[0]"),
    ("kernel parameter with a space", {"boot": {"kernel_params": ["quiet init=/bin/sh"]}},
     "boot.kernel_params[0]"),
    ("kernel parameter with quotes", {"boot": {"kernel_params": ['init="/bin/sh"']}},
     "boot.kernel_params[0]"),
    ("kernel parameter choosing the /usr slot",
     {"boot": {"kernel_params": ["console=ttyS0", "mount.usr=/dev/sda2"]}},
     "boot.kernel_params[1]"),
    ("package list injection", {"packages": ["htop\nPackages=evil"]}, "packages[0]"),
    ("mirror with a newline", {"image": {"mirror": "http://x/\nURIs: http://evil/"}},
     "image.mirror"),
    ("image id walking out of the ESP", {"image": {"id": "../../x"}}, "image.id"),
    ("partition size that is not a size", {"image": {"usr_size": "1G\nCopyFiles=/etc:/"}},
     "image.usr_size"),
    ("firewall rules leaving the input chain",
     {"networking": {"firewall": {"extra_rules": "}\n}\ntable inet evil { chain x { } }"}}},
     "networking.firewall.extra_rules"),
    ("port out of range", {"networking": {"firewall": {"allowed_tcp_ports": [70000]}}},
     "networking.firewall.allowed_tcp_ports[0]"),
    ("mount point with a space",
     {"file_systems": {"/srv/a b": file_system(device="tmpfs", fs_type="tmpfs")}},
     "file_systems./srv/a b"),
    ("fstab device with a tab",
     {"file_systems": {"/srv": file_system(device="LABEL=x\t/\text4", fs_type="ext4")}},
     "file_systems./srv.device"),
    ("time zone walking out of zoneinfo", {"time": {"timezone": "../../../etc/shadow"}},
     "time.timezone"),
    ("sysctl key with a newline", {"boot": {"sysctl": {"kernel.x\nkernel.y": "1"}}},
     "boot.sysctl.kernel.x\nkernel.y"),
    ("interface address that is not one",
     {"networking": {"interfaces": {"eth0": {"dhcp": False, "addresses": ["10.0.0.1/24\nDNS=x"],
                                             "gateway": None, "dns": []}}}},
     "networking.interfaces.eth0.addresses[0]"),
    ("variable name with shell code",
     {"environment": {"variables": {"A=1; rm -rf /; B": "x"}}},
     "environment.variables.A=1; rm -rf /; B"),
]


@pytest.mark.parametrize(("case", "overrides", "option"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_value_is_rejected_with_its_option_path(case: str, overrides: dict[str, Any],
                                                        option: str) -> None:
    with pytest.raises(LoweringError) as caught:
        lower(config(overrides))
    error = caught.value
    assert isinstance(error, PydeclosError)
    assert error.option == option, str(error)
    message = str(error)
    assert message.startswith(f"{option}: ")
    assert "hint: " in message and len(error.hint) > 10


def test_no_error_text_echoes_a_raw_newline() -> None:
    """Error messages quote hostile values with repr, so a newline cannot fake output."""
    with pytest.raises(LoweringError) as caught:
        lower(config({"boot": {"kernel_params": ["a\nerror: all good"]}}))
    assert "\nerror: all good" not in caught.value.problem
