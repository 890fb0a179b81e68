"""Host name, domain, network interfaces (systemd-networkd) and name servers (resolved).

Without any interface declared, every wired interface (en*, eth*) gets DHCP, which is what a
VM or a typical server wants. The firewall lives in services/firewall.py.
"""

import ipaddress
import re

from pydeclos import option
from pydeclos import types as t

HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
INTERFACE = re.compile(r"^[^\s/:]{1,15}$")

interface_options = {
    "dhcp": option(bool, default=False, description="Whether to get an address by DHCP."),
    "addresses": option(list[str], default=[], description=(
        "Static addresses with prefix length (CIDR)."), example=["192.0.2.10/24", "2001:db8::10/64"]),
    "gateway": option(str | None, default=None, description="Default gateway address."),
    "dns": option(list[str], default=[], description=(
        "DNS servers learned on this interface (in addition to `networking.nameservers`).")),
}

options = {"networking": {
    "hostname": option(str, default="pydeclos", description=(
        "The machine's host name (one DNS label: letters, digits and `-`)."), example="web1"),
    "domain": option(str | None, default=None, description=(
        "DNS domain; the fully qualified name is `<hostname>.<domain>`."), example="example.org"),
    "use_dhcp": option(bool, default=True, description=(
        "Use DHCP on every wired interface (en*, eth*) not configured in "
        "`networking.interfaces`.")),
    "interfaces": option(dict[str, t.submodule(interface_options)], default={}, description=(
        "Per-interface settings, by kernel interface name."),
        example={"enp1s0": {"addresses": ["192.0.2.10/24"], "gateway": "192.0.2.1"}}),
    "nameservers": option(list[str], default=[], description=(
        "Global DNS servers for systemd-resolved."), example=["9.9.9.9"]),
}}


def address_errors(where: str, values, kind) -> list[str]:
    errors = []
    for value in values:
        try:
            kind(value)
        except ValueError:
            example = "192.0.2.10/24" if kind is ipaddress.ip_interface else "192.0.2.1"
            errors.append(f"{where}: {value!r} is not a valid IP "
                          f"{'address with prefix' if kind is ipaddress.ip_interface else 'address'}"
                          f" (e.g. `{example}`)")
    return errors


def config(cfg):
    net = cfg.networking
    errors = []
    if not HOST_LABEL.match(net.hostname):
        errors.append(f"networking.hostname = {net.hostname!r}: a host name is one label of "
                      "letters, digits and `-` (at most 63); put the rest in networking.domain")
    if net.domain is not None and not all(HOST_LABEL.match(p) for p in net.domain.split(".")):
        errors.append(f"networking.domain = {net.domain!r} is not a valid DNS domain")
    errors += address_errors("networking.nameservers", net.nameservers, ipaddress.ip_address)
    for name in sorted(net.interfaces):
        iface = net.interfaces[name]
        where = f"networking.interfaces.{name}"
        if not INTERFACE.match(name):
            errors.append(f"{where}: {name!r} is not a kernel interface name "
                          "(at most 15 characters, no spaces, `/` or `:`)")
        errors += address_errors(f"{where}.addresses", iface.addresses, ipaddress.ip_interface)
        errors += address_errors(f"{where}.gateway",
                                 [iface.gateway] if iface.gateway else [], ipaddress.ip_address)
        errors += address_errors(f"{where}.dns", iface.dns, ipaddress.ip_address)
    # systemd-networkd ships in the systemd package; resolved is its own package in trixie.
    return {
        "packages": ["systemd-resolved"],
        "systemd": {
            "enabled": ["systemd-networkd.service", "systemd-resolved.service"],
            "package_units": ["systemd-resolved.service"],
        },
        "assertions": [{"assertion": False, "message": m} for m in errors],
    }
