"""A stateful nftables firewall for incoming traffic.

Lowering writes the ruleset: established traffic, loopback and ICMP are accepted, then the
ports listed here, then `extra_rules`; everything else is dropped. Services open their own
ports (`services.openssh.open_firewall`), so a system file rarely lists ports by hand.
"""

from pydeclos import option
from pydeclos import types as t


def sorted_ports(ports: list[int]) -> list[int]:
    """Several modules may open the same port; the ruleset lists each once, in order."""
    return sorted(set(ports))


options = {"networking": {"firewall": {
    "enable": option(bool, default=True, description=(
        "Whether to filter incoming traffic with nftables.")),
    "allowed_tcp_ports": option(list[t.Port], default=[], apply=sorted_ports, description=(
        "TCP ports open to everyone."), example=[80, 443]),
    "allowed_udp_ports": option(list[t.Port], default=[], apply=sorted_ports, description=(
        "UDP ports open to everyone."), example=[51820]),
    "extra_rules": option(t.lines, default="", description=(
        "nftables rules appended to the input chain, verbatim."),
        example='ip saddr 192.0.2.0/24 tcp dport 9100 accept'),
}}}


def config(cfg):
    firewall = cfg.networking.firewall
    if not firewall.enable:
        return {}
    return {
        "packages": ["nftables"],
        "systemd": {"enabled": ["nftables.service"], "package_units": ["nftables.service"]},
    }
