"""Conservative hardening for servers: kernel, network stack, sshd and the console.

Everything here is a default (`mk_default`) or an addition, so a system that needs one thing
back simply sets it: `services.openssh.permit_root_login = "prohibit-password"` still wins.
"""

from pydeclos import mk_default, option

options = {"security": {"hardening": {
    "enable": option(bool, default=False, description=(
        "Whether to apply the hardening settings below.")),
    "kernel": option(bool, default=True, description=(
        "Hide kernel pointers and the kernel log from unprivileged users, and forbid "
        "unprivileged eBPF.")),
    "network": option(bool, default=True, description=(
        "Ignore ICMP redirects and source-routed packets, filter spoofed source addresses, "
        "use SYN cookies.")),
    "ssh": option(bool, default=True, description=(
        "Tighten sshd: no root login, fewer authentication attempts, no forwarding.")),
}}}

KERNEL_SYSCTL = {
    "kernel.kptr_restrict": 2,
    "kernel.dmesg_restrict": 1,
    "kernel.unprivileged_bpf_disabled": 1,
}

NETWORK_SYSCTL = {
    "net.ipv4.conf.all.rp_filter": 1,
    "net.ipv4.conf.default.rp_filter": 1,
    "net.ipv4.conf.all.accept_redirects": False,
    "net.ipv4.conf.default.accept_redirects": False,
    "net.ipv6.conf.all.accept_redirects": False,
    "net.ipv4.conf.all.send_redirects": False,
    "net.ipv4.conf.all.accept_source_route": False,
    "net.ipv4.tcp_syncookies": True,
}

SSH_SETTINGS = {
    "MaxAuthTries": 3,
    "LoginGraceTime": 30,
    "X11Forwarding": False,
    "AllowAgentForwarding": False,
    "AllowTcpForwarding": False,
}


def config(cfg):
    hardening = cfg.security.hardening
    if not hardening.enable:
        return {}
    sysctl = {**(KERNEL_SYSCTL if hardening.kernel else {}),
              **(NETWORK_SYSCTL if hardening.network else {})}
    result = {
        "boot": {"sysctl": {key: mk_default(value) for key, value in sysctl.items()}},
        # Ctrl-Alt-Del on the console would reboot the machine.
        "systemd": {"masked": ["ctrl-alt-del.target", "debug-shell.service"]},
    }
    ssh = cfg.services.openssh
    if hardening.ssh and ssh.enable:
        result["services"] = {"openssh": {
            "permit_root_login": mk_default("no"),
            "settings": {key: mk_default(value) for key, value in SSH_SETTINGS.items()},
        }}
        if ssh.password_authentication:
            result["warnings"] = [
                "security.hardening: services.openssh.password_authentication is on; "
                "consider keys only (ssh_authorized_keys)."]
    return result
