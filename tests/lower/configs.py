"""Evaluated configurations as plain data, for lowering tests that need no module system.

`default_config()` holds every primitive option of docs/dev/primitive-options.md at its
default, as `Evaluation.to_data()` returns it; `config({...})` deep-merges overrides
(dotted keys allowed) into a fresh copy.
"""

from __future__ import annotations

import copy
from typing import Any

BASE_PACKAGES = [
    "systemd", "systemd-sysv", "systemd-boot", "systemd-boot-efi", "systemd-container",
    "systemd-cryptsetup", "systemd-repart", "udev", "dbus", "cryptsetup-bin", "kexec-tools",
    "util-linux", "mount", "e2fsprogs",
]

DEFAULTS: dict[str, Any] = {
    "assertions": [],
    "warnings": [],
    "image": {
        "distribution": "debian", "release": "trixie",
        "mirror": "http://deb.debian.org/debian",
        "security_mirror": "http://deb.debian.org/debian-security",
        "components": ["main"], "id": "pydeclos", "version": 1, "layout": "usr",
        "esp_size": "256M", "usr_size": "1G", "usr_verity_size": "64M", "root_size": "512M",
        "with_docs": False,
    },
    "boot": {"kernel_packages": ["linux-image-cloud-amd64"], "kernel_params": ["console=ttyS0"],
             "kernel_modules": [], "sysctl": {}},
    "packages": [*BASE_PACKAGES, "linux-image-cloud-amd64"],
    "packages_removed": [],
    "users": {"mutable": True, "users": {}, "groups": {}},
    "systemd": {"services": {}, "sockets": {}, "timers": {}, "targets": {}, "paths": {},
                "mounts": {}, "enabled": [], "disabled": [], "masked": [],
                "tmpfiles": {"rules": []}, "drop_ins": {}, "package_units": []},
    "file_systems": {},
    "swap_devices": [],
    "networking": {
        "hostname": "pydeclos", "domain": None, "use_dhcp": True, "interfaces": {},
        "nameservers": [],
        "firewall": {"enable": True, "allowed_tcp_ports": [], "allowed_udp_ports": [],
                     "extra_rules": ""},
    },
    "time": {"timezone": "UTC", "ntp": {"enable": True, "servers": []}},
    "i18n": {"locale": "C.UTF-8"},
    "console": {"keymap": "us"},
    "environment": {"etc": {}, "variables": {}, "shell_aliases": {}},
}

USER = {"uid": None, "group": None, "extra_groups": [], "home": None, "create_home": None,
        "shell": None, "is_normal_user": False, "is_system_user": False, "description": "",
        "hashed_password": None, "password": None, "ssh_authorized_keys": []}
COMMON = {"enable": True, "description": "", "after": [], "before": [], "wants": [],
          "requires": [], "wanted_by": [], "required_by": [], "unit_config": {}}
SERVICE = {**COMMON, "type": "simple", "exec_start": [], "exec_start_pre": [],
           "exec_reload": [], "exec_stop": [], "environment": {}, "restart": "no",
           "restart_sec": None, "user": None, "group": None, "working_directory": None,
           "private_tmp": False, "protect_system": "", "protect_home": False,
           "no_new_privileges": False, "dynamic_user": False, "restart_triggers": [],
           "service_config": {}}
TIMER = {**COMMON, "wanted_by": ["timers.target"], "on_calendar": [], "on_boot_sec": None,
         "persistent": False, "unit": None, "timer_config": {}}
ETC = {"enable": True, "text": None, "source": None, "mode": "0644", "user": "root",
       "group": "root"}
FILE_SYSTEM = {"device": "", "fs_type": "auto", "options": ["defaults"],
               "needed_for_boot": False, "auto_format": False}


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if "." in key and key.split(".")[0] in base and isinstance(base[key.split(".")[0]], dict):
            head, rest = key.split(".", 1)
            _merge(base[head], {rest: value})
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A full default configuration with `overrides` merged in."""
    result = copy.deepcopy(DEFAULTS)
    _merge(result, overrides or {})
    return result


def user(**fields: Any) -> dict[str, Any]:
    return {**USER, **fields}


def service(**fields: Any) -> dict[str, Any]:
    return {**SERVICE, **fields}


def timer(**fields: Any) -> dict[str, Any]:
    return {**TIMER, **fields}


def etc(**fields: Any) -> dict[str, Any]:
    return {**ETC, **fields}


def file_system(**fields: Any) -> dict[str, Any]:
    return {**FILE_SYSTEM, **fields}


def rich_config() -> dict[str, Any]:
    """A configuration that touches every option family, for the tool-validated tests."""
    return config({
        "image": {"version": 7, "id": "demo"},
        "packages": [*BASE_PACKAGES, "linux-image-cloud-amd64", "openssh-server", "nftables"],
        "boot": {"kernel_params": ["console=ttyS0", "systemd.show_status=yes"],
                 "kernel_modules": ["br_netfilter"],
                 "sysctl": {"net.ipv4.ip_forward": True, "vm.swappiness": 10}},
        "users": {
            "groups": {"deploy": {"gid": 2000, "members": []}},
            "users": {
                "alice": user(is_normal_user=True, extra_groups=["sudo", "deploy"],
                              description="Alice (admin)",
                              hashed_password="$y$j9T$abcdefghijklmnop$"
                                              "0123456789abcdefghijklmnopqrstuvwxyzABCDE"),
                "bob": user(is_normal_user=True, uid=1500),
                "svc": user(is_system_user=True),
            },
        },
        "systemd": {
            "services": {
                "hello": service(description="Say hello", type="oneshot",
                                 exec_start=["/bin/echo hello", "/bin/true"],
                                 environment={"GREETING": 'hi "there" 100%'},
                                 wanted_by=["multi-user.target"], after=["network.target"],
                                 restart_triggers=["v1"],
                                 service_config={"RemainAfterExit": "yes"}),
                "web": service(exec_start=["/bin/sleep infinity"], restart="on-failure",
                               restart_sec="5s", user="svc", private_tmp=True,
                               protect_system="strict", no_new_privileges=True,
                               unit_config={"Documentation": ["man:sleep(1)"]}),
                "off": service(enable=False, exec_start=["/bin/false"]),
                "echo": service(exec_start=["/bin/cat"], service_config={
                    "StandardInput": "socket"}),
            },
            "timers": {"hello": timer(on_calendar=["*-*-* 03:30:00"], persistent=True)},
            "sockets": {"echo": {**COMMON, "listen_stream": ["127.0.0.1:7777"],
                                 "listen_datagram": [], "accept": False, "socket_config": {}}},
            "paths": {"watch": {**COMMON, "path_exists": [], "path_changed": ["/etc/demo"],
                                "path_modified": [], "directory_not_empty": [],
                                "unit": "hello.service", "path_config": {}}},
            "targets": {"demo": {**COMMON, "wants": ["hello.service"]}},
            "mounts": {"/srv/cache": {**COMMON, "what": "tmpfs", "type": "tmpfs",
                                      "options": ["size=16M"], "mount_config": {},
                                      "wanted_by": ["local-fs.target"]}},
            "enabled": ["ssh.service"], "disabled": ["apt-daily.timer"],
            "masked": ["getty@tty2.service"],
            "tmpfiles": {"rules": ["d /srv/data 0755 root root -"]},
            "drop_ins": {"getty@.service": {"10-demo": "[Service]\nTTYVTDisallocate=no\n"}},
        },
        "file_systems": {"/srv/scratch": file_system(device="tmpfs", fs_type="tmpfs",
                                                     options=["size=64M", "mode=1777"])},
        "networking": {
            "hostname": "demo", "domain": "example.org", "nameservers": ["192.0.2.53"],
            "interfaces": {"eth1": {"dhcp": False, "addresses": ["192.0.2.10/24"],
                                    "gateway": "192.0.2.1", "dns": ["192.0.2.53"]}},
            "firewall": {"allowed_tcp_ports": [22, 80], "allowed_udp_ports": [53],
                         "extra_rules": "ip saddr 192.0.2.50 tcp dport 9100 accept"},
        },
        "time": {"timezone": "Europe/Berlin", "ntp": {"enable": True,
                                                      "servers": ["ntp.example.org"]}},
        "environment": {
            "etc": {"demo/config.ini": etc(text="[main]\nvalue = 1\n"),
                    "demo/secret": etc(text="s3cret\n", mode="0640", user="root",
                                       group="deploy")},
            "variables": {"EDITOR": "vim"}, "shell_aliases": {"ll": "ls -l"},
        },
    })
