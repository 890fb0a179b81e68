"""The OpenSSH server (Debian's `ssh.service`).

Settings go to /etc/ssh/sshd_config.d/pydeclos.conf, which Debian's sshd_config includes
before its own lines, so they win. Authorised keys come from
`users.users.<name>.ssh_authorized_keys` and are written to /etc/ssh/authorized_keys.d/,
so removing a key from the configuration revokes it with the next switch. Host keys made
while the image was built are replaced on the machine's first boot, so machines installed
from one image do not share them.
"""

import difflib
from typing import Literal

from pydeclos import option
from pydeclos import types as t

# The keywords of sshd_config(5) of the image's OpenSSH (Debian trixie, 10.0p1), printed by
# scripts/sshd-keywords. sshd refuses a whole file with one unknown keyword, and on a remote
# machine that is a lockout, so `settings` takes only these. Match and Include are left out:
# a Match block would capture every line written after it.
KEYWORDS = (
    "AcceptEnv", "AddressFamily", "AllowAgentForwarding", "AllowGroups",
    "AllowStreamLocalForwarding", "AllowTcpForwarding", "AllowUsers", "AuthenticationMethods",
    "AuthorizedKeysCommand", "AuthorizedKeysCommandUser", "AuthorizedKeysFile",
    "AuthorizedPrincipalsCommand", "AuthorizedPrincipalsCommandUser",
    "AuthorizedPrincipalsFile", "Banner", "CASignatureAlgorithms", "ChannelTimeout",
    "ChrootDirectory", "Ciphers", "ClientAliveCountMax", "ClientAliveInterval", "Compression",
    "DebianBanner", "DenyGroups", "DenyUsers", "DisableForwarding", "ExposeAuthInfo",
    "FingerprintHash", "ForceCommand", "GatewayPorts", "GSSAPIAuthentication",
    "GSSAPICleanupCredentials", "GSSAPIKexAlgorithms", "GSSAPIKeyExchange",
    "GSSAPIStoreCredentialsOnRekey", "GSSAPIStrictAcceptorCheck", "HostbasedAcceptedAlgorithms",
    "HostbasedAuthentication", "HostbasedUsesNameFromPacketOnly", "HostCertificate", "HostKey",
    "HostKeyAgent", "HostKeyAlgorithms", "IgnoreRhosts", "IgnoreUserKnownHosts", "IPQoS",
    "KbdInteractiveAuthentication", "KerberosAuthentication", "KerberosGetAFSToken",
    "KerberosOrLocalPasswd", "KerberosTicketCleanup", "KexAlgorithms", "ListenAddress",
    "LoginGraceTime", "LogLevel", "LogVerbose", "MACs", "MaxAuthTries", "MaxSessions",
    "MaxStartups", "ModuliFile", "PAMServiceName", "PasswordAuthentication",
    "PermitEmptyPasswords", "PermitListen", "PermitOpen", "PermitRootLogin", "PermitTTY",
    "PermitTunnel", "PermitUserEnvironment", "PermitUserRC", "PerSourceMaxStartups",
    "PerSourceNetBlockSize", "PerSourcePenalties", "PerSourcePenaltyExemptList", "PidFile",
    "Port", "PrintLastLog", "PrintMotd", "PubkeyAcceptedAlgorithms", "PubkeyAuthentication",
    "PubkeyAuthOptions", "RefuseConnection", "RekeyLimit", "RequiredRSASize", "RevokedKeys",
    "SecurityKeyProvider", "SetEnv", "SshdAuthPath", "SshdSessionPath", "StreamLocalBindMask",
    "StreamLocalBindUnlink", "StrictModes", "Subsystem", "SyslogFacility", "TCPKeepAlive",
    "TrustedUserCAKeys", "UnusedConnectionTimeout", "UseDNS", "UsePAM", "VersionAddendum",
    "X11DisplayOffset", "X11Forwarding", "X11UseLocalhost", "XAuthLocation",
)
KNOWN = {keyword.lower() for keyword in KEYWORDS}  # sshd reads keywords in any case
RENAMED = {"challengeresponseauthentication": "KbdInteractiveAuthentication"}

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
        "yes/no, lists are joined with spaces. A keyword the image's sshd does not know is "
        "an error (sshd would refuse the whole file); Match blocks go in a file of their "
        "own under environment.etc.\"ssh/sshd_config.d/\"."),
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
        elif key.lower() not in KNOWN:
            errors.append({"assertion": False, "options": [where], "message": (
                f"{where}: {unknown_keyword(key)}")})
    return errors


def unknown_keyword(key: str) -> str:
    """Why sshd would refuse `key`, and what to write instead."""
    if key.lower() in RENAMED:
        return f"OpenSSH now calls `{key}` `{RENAMED[key.lower()]}`"
    if key.lower() == "match":
        return ("a Match block is not supported in settings (it would capture the lines "
                "written after it); put it in a file of its own with "
                "environment.etc.\"ssh/sshd_config.d/60-match.conf\"")
    if key.lower() == "include":
        return ("add files to /etc/ssh/sshd_config.d/ with environment.etc instead "
                "(Debian's sshd_config includes them all)")
    near = difflib.get_close_matches(key.lower(), KNOWN, n=1, cutoff=0.75)
    hint = ""
    if near:
        hint = f"; did you mean `{next(k for k in KEYWORDS if k.lower() == near[0])}`?"
    return (f"`{key}` is not an sshd_config keyword of the image's OpenSSH (10.0); sshd would "
            f"refuse the whole file{hint}")


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
                # machine's first boot, before anything makes new ones.
                "ssh-host-keys-first-boot": {
                    "description": "Forget the SSH host keys made when the image was built",
                    "type": "oneshot",
                    "exec_start": ["/bin/sh -c 'rm -f /etc/ssh/ssh_host_*_key "
                                   "/etc/ssh/ssh_host_*_key.pub'"],
                    "before": ["ssh-host-keys.service", "sshd-keygen.service"],
                    "wanted_by": ["multi-user.target"],
                    "unit_config": {"ConditionFirstBoot": "yes"},
                },
                # `ssh-keygen -A` creates only the host keys that are missing. After
                # Debian 13's own first-boot `sshd-keygen.service` (the same command), not
                # beside it: two at once would make every key twice, and could leave a
                # private key with the other run's public half.
                "ssh-host-keys": {
                    "description": "Create missing SSH host keys",
                    "type": "oneshot",
                    "exec_start": ["/usr/bin/ssh-keygen -A"],
                    "after": ["sshd-keygen.service"],
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
