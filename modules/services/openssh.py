"""The OpenSSH server (Debian's `ssh.service`).

Settings go to /etc/ssh/sshd_config.d/pydeclos.conf, which Debian's sshd_config includes
before its own lines, so they win. Authorised keys come from
`users.users.<name>.ssh_authorized_keys` and are written to /etc/ssh/authorized_keys.d/,
so removing a key from the configuration revokes it with the next switch. Host keys made
while the image was built are replaced on the machine's first boot, so machines installed
from one image do not share them.
"""

from typing import Literal

from pydeclos import option
from pydeclos import types as t

# sshd keywords set by typed options; `settings` must not set them a second time.
TYPED = {"port": "ports", "passwordauthentication": "password_authentication",
         "permitrootlogin": "permit_root_login"}

options = {"services": {"openssh": {
    "enable": option(bool, default=False, description="Whether to run the OpenSSH server."),
    "ports": option(list[t.Port], default=[22], description="Ports sshd listens on."),
    "open_firewall": option(bool, default=True, description=(
        "Whether to open `ports` in the firewall.")),
    "password_authentication": option(bool, default=False, description=(
        "Whether passwords are accepted. Off by default: log in with a key from "
        "`users.users.<name>.ssh_authorized_keys`.")),
    "permit_root_login": option(
        Literal["yes", "no", "prohibit-password", "forced-commands-only"],
        default="prohibit-password", description=(
            "Whether root may log in, and how (`prohibit-password`: with a key only).")),
    "settings": option(dict[t.ssh_keyword, t.ssh_value | int | bool | list[t.ssh_value]],
                       default={}, description=(
        "Further sshd_config keywords, verbatim (see sshd_config(5)); booleans become "
        "yes/no, lists are joined with spaces."),
        example={"X11Forwarding": False, "AllowUsers": ["alice", "bob"]}),
}}}


def render_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def settings_errors(settings) -> list[dict]:
    errors = []
    for key in sorted(settings):
        where = f"services.openssh.settings.{key}"
        if key.lower() in TYPED:
            errors.append({"assertion": False, "options": [where], "message": (
                f"{where}: set services.openssh.{TYPED[key.lower()]} instead")})
    return errors


def render_config(ssh) -> str:
    lines = ["# Written by pydeclos from services.openssh; change system.py instead."]
    lines += [f"Port {port}" for port in ssh.ports]
    base = {
        "PasswordAuthentication": ssh.password_authentication,
        "KbdInteractiveAuthentication": ssh.password_authentication,
        "PermitRootLogin": ssh.permit_root_login,
        "AuthorizedKeysFile": ".ssh/authorized_keys /etc/ssh/authorized_keys.d/%u",
    }
    overrides = {key.lower(): key for key in ssh.settings}
    for key, value in base.items():
        if key.lower() not in overrides:
            lines.append(f"{key} {render_value(value)}")
    lines += [f"{key} {render_value(ssh.settings[key])}" for key in sorted(ssh.settings)]
    return "\n".join(lines) + "\n"


def config(cfg):
    ssh = cfg.services.openssh
    if not ssh.enable:
        return {}
    errors = settings_errors(ssh.settings)
    if not ssh.ports:
        errors.append({"assertion": False, "options": ["services.openssh.ports"], "message": (
            "services.openssh.ports is empty: sshd needs at least one port")})
    keys = {
        f"ssh/authorized_keys.d/{name}": {"text": "\n".join(user.ssh_authorized_keys) + "\n"}
        for name, user in cfg.users.users.items() if user.ssh_authorized_keys
    }
    return {
        "packages": ["openssh-server"],
        "systemd": {
            "enabled": ["ssh.service"],
            "package_units": ["ssh.service", "ssh.socket", "ssh@.service"],
            "services": {
                # openssh-server's postinst made host keys while the image was built, so
                # every machine installed from it would share them: drop them on the
                # machine's first boot.
                "ssh-host-keys-first-boot": {
                    "description": "Forget the SSH host keys made when the image was built",
                    "type": "oneshot",
                    "exec_start": ["/bin/sh -c 'rm -f /etc/ssh/ssh_host_*_key "
                                   "/etc/ssh/ssh_host_*_key.pub'"],
                    "before": ["ssh-host-keys.service"],
                    "wanted_by": ["multi-user.target"],
                    "unit_config": {"ConditionFirstBoot": "yes"},
                },
                # `ssh-keygen -A` creates only the host keys that are missing.
                "ssh-host-keys": {
                    "description": "Create missing SSH host keys",
                    "type": "oneshot",
                    "exec_start": ["/usr/bin/ssh-keygen -A"],
                    "before": ["ssh.service"],
                    "wanted_by": ["multi-user.target"],
                    "service_config": {"RemainAfterExit": "yes"},
                },
            },
        },
        "environment": {"etc": {
            "ssh/sshd_config.d/pydeclos.conf": {"text": render_config(ssh)},
            **keys,
        }},
        "networking": {"firewall": {
            "allowed_tcp_ports": list(ssh.ports) if ssh.open_firewall else [],
        }},
        "assertions": errors,
    }
