"""systemd-networkd .network files: `systemd.network.networks.<name>`, as in NixOS.

Each entry becomes /usr/lib/systemd/network/<name>.network, so a /usr version carries it
and the admin can still override it with a file of the same name in /etc/systemd/network.
networkd applies the first file, in lexical order of the names, whose [Match] fits a link:
name entries like NixOS does ("10-lan"). `networking.interfaces` and the default DHCP of
`networking.use_dhcp` (config/networking.py) are written as entries here too.

Typed options cover what servers need (match, DHCP, addresses, gateways, routes with
on-link gateways, DNS, domains, link settings); `settings` adds any other key of any
section, each value one line, so no value can start a section or key of its own.
"""

import ipaddress

from pydeclos import option
from pydeclos import types as t
from pydeclos.formats import render_ini, yes_no

NETWORK_DIR = "lib/systemd/network"

network_name = t.matching(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,200}", (
    "a .network file name without the suffix (letters, digits and '_.@-'), such as "
    "'10-lan'"), example="10-lan")
mac_address = t.matching(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}",
                         "a MAC address such as '52:54:00:12:34:56'", example="52:54:00:12:34:56")
search_domain = t.matching(
    r"~\.|~?(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    "a DNS domain such as 'example.org' (search domain), '~example.org' (route only) or '~.'",
    example="example.org")
section_name = t.matching(r"[A-Z][A-Za-z0-9]*", "a .network section name such as 'DHCPv4'",
                          example="DHCPv4")
OPER_STATES = ("missing", "off", "no-carrier", "dormant", "degraded-carrier", "carrier",
               "degraded", "enslaved", "routable")
online_state = t.matching(
    rf"(?:{'|'.join(OPER_STATES)})(?::(?:{'|'.join(OPER_STATES)}))?",
    "a minimum operational state such as 'routable' or a range such as 'degraded:routable'",
    example="routable")


def _network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        return False
    return True


ip_network = t.Parsed(_network, "a network with prefix length and no host bits set, such as "
                                "'0.0.0.0/0' or '198.51.100.0/24'")
raw_value = bool | int | t.ini_value
raw_settings = dict[t.ini_key, raw_value | list[raw_value]]

route_options = {
    "destination": option(ip_network | None, default=None, description=(
        "Destination network (`Destination=`); unset means the default route."),
        example="198.51.100.0/24"),
    "gateway": option(t.ip_address | None, default=None, description="Gateway (`Gateway=`)."),
    "gateway_on_link": option(bool, default=False, description=(
        "Whether the gateway is reachable on the link though it is outside the link's "
        "prefixes (`GatewayOnLink=`), as for a /32 address with a provider's gateway.")),
    "metric": option(t.unsigned | None, default=None, description="Route metric (`Metric=`)."),
    "settings": option(raw_settings, default={}, description=(
        "Other keys of this [Route] section, verbatim names, values on one line."),
        example={"Table": 100}),
}

network_options = {
    "enable": option(bool, default=True, description="Whether to write this .network file."),
    "match": {
        "name": option(list[t.interface_name], default=[], description=(
            "Interface names or globs the file applies to (`[Match] Name=`)."),
            example=["enp1s0"]),
        "mac_address": option(list[mac_address], default=[], description=(
            "Hardware addresses the file applies to (`[Match] MACAddress=`).")),
    },
    "dhcp": option(t.enum("yes", "no", "ipv4", "ipv6"), default="no", description=(
        "Which DHCP clients to run (`DHCP=`).")),
    "address": option(list[t.ip_interface], default=[], description=(
        "Static addresses with prefix length."), example=["192.0.2.10/24", "2001:db8::10/64"]),
    "gateway": option(list[t.ip_address], default=[], description=(
        "Gateways of default routes (`Gateway=`); a gateway outside the address's prefix "
        "needs `routes` with `gateway_on_link`.")),
    "routes": option(list[t.submodule(route_options)], default=[], description=(
        "Static routes, one [Route] section each."),
        example=[{"gateway": "172.31.1.1", "gateway_on_link": True}]),
    "dns": option(list[t.ip_address], default=[], description=(
        "DNS servers for this link (`DNS=`).")),
    "domains": option(list[search_domain], default=[], description=(
        "Search or routing domains for this link's DNS servers (`Domains=`).")),
    "link": {
        "required_for_online": option(bool | online_state | None, default=None, description=(
            "Whether `network-online.target` waits for this link, or the operational state "
            "it waits for (`RequiredForOnline=`); unset: networkd's default (yes).")),
        "mtu": option(t.between(68, 65535) | None, default=None, description=(
            "MTU in bytes (`MTUBytes=`).")),
        "mac_address": option(mac_address | None, default=None, description=(
            "Hardware address to set (`[Link] MACAddress=`).")),
    },
    "settings": option(dict[section_name, raw_settings], default={}, description=(
        "Any other keys, by section; added after the keys the options above write (for a "
        "key networkd takes once, the later one wins)."),
        example={"Network": {"IPv6AcceptRA": False}, "DHCPv4": {"UseDomains": True}}),
}

options = {"systemd": {"network": {
    "networks": option(dict[network_name, t.submodule(network_options)], default={}, description=(
        "systemd-networkd .network files by name; the first in lexical order that matches "
        "a link configures it."),
        example={"10-lan": {"match": {"name": ["enp1s0"]}, "address": ["192.0.2.10/24"],
                            "gateway": ["192.0.2.1"]}}),
}}}


def raw_entries(settings) -> list[tuple[str, str]]:
    """`settings` keys as Key=value lines: booleans as yes/no, a list as repeated keys."""
    entries = []
    for key in sorted(settings):
        values = settings[key] if isinstance(settings[key], list) else [settings[key]]
        entries += [(key, yes_no(v) if isinstance(v, bool) else str(v)) for v in values]
    return entries


def render_route(route) -> list[tuple[str, str]]:
    entries = []
    if route.destination:
        entries.append(("Destination", route.destination))
    if route.gateway:
        entries.append(("Gateway", route.gateway))
    if route.gateway_on_link:
        entries.append(("GatewayOnLink", "yes"))
    if route.metric is not None:
        entries.append(("Metric", str(route.metric)))
    return entries + raw_entries(route.settings)


def render_network(name: str, network) -> str:
    match = []
    if network.match.name:
        match.append(("Name", " ".join(network.match.name)))
    if network.match.mac_address:
        match.append(("MACAddress", " ".join(network.match.mac_address)))
    link = []
    if network.link.mac_address:
        link.append(("MACAddress", network.link.mac_address))
    if network.link.mtu is not None:
        link.append(("MTUBytes", str(network.link.mtu)))
    online = network.link.required_for_online
    if online is not None:
        link.append(("RequiredForOnline", yes_no(online) if isinstance(online, bool) else online))
    settings = [("DHCP", network.dhcp)]
    settings += [("Address", address) for address in network.address]
    settings += [("Gateway", gateway) for gateway in network.gateway]
    settings += [("DNS", server) for server in network.dns]
    if network.domains:
        settings.append(("Domains", " ".join(network.domains)))
    sections = {"Match": match, "Link": link, "Network": settings}
    for section in sorted(network.settings):
        sections.setdefault(section, [])
        sections[section] = sections[section] + raw_entries(network.settings[section])
    ordered = [(section, entries) for section, entries in sections.items()]
    ordered += [("Route", render_route(route)) for route in network.routes]
    return render_ini(ordered, header=f"Generated by pydeclos from systemd.network.networks.{name}")


def match_errors(name: str, network) -> list[dict]:
    """A file without a condition would configure every link, loopback included."""
    if network.match.name or network.match.mac_address or network.settings.get("Match"):
        return []
    where = f'systemd.network.networks."{name}"'
    return [{"assertion": False, "options": [where], "message": (
        f"{where} says no link it applies to: set `match.name` (e.g. [\"enp1s0\"] or "
        "[\"en*\"]), `match.mac_address`, or a `settings.Match` key")}]


def config(cfg):
    networks = cfg.systemd.network.networks
    files = {}
    errors = []
    for name in sorted(networks):
        if not networks[name].enable:
            continue
        errors += match_errors(name, networks[name])
        files[f"{NETWORK_DIR}/{name}.network"] = {"text": render_network(name, networks[name])}
    return {"files": {"usr": files}, "assertions": errors}
