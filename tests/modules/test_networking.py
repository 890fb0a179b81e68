"""networkd .network files, the machine's domain, and the firewall's trusted interfaces and
ping: what the options render, each file read by its own tool, and misuse named at the
user's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lower import validators

NETWORK_DIR = "lib/systemd/network"


def network_files(data) -> dict[str, str]:
    return {path.removeprefix(f"{NETWORK_DIR}/"): entry["text"]
            for path, entry in data["files"]["usr"].items() if path.startswith(NETWORK_DIR)}


def test_nothing_declared_means_dhcp_on_every_wired_interface(system) -> None:
    files = network_files(system("config = {}\n").to_data())
    assert list(files) == ["90-pydeclos-dhcp.network"]
    assert "Name=en* eth*" in files["90-pydeclos-dhcp.network"].splitlines()
    assert "DHCP=yes" in files["90-pydeclos-dhcp.network"].splitlines()


def test_a_hetzner_style_static_network(system, tmp_path: Path) -> None:
    """A /32 address whose gateway is outside it: an on-link default route."""
    data = system('''
        config = {"systemd": {"network": {"networks": {"10-wan": {
            "match": {"name": ["enp1s0"]},
            "address": ["203.0.113.5/32", "2001:db8:1::2/64"],
            "gateway": ["fe80::1"],
            "routes": [{"gateway": "172.31.1.1", "gateway_on_link": True}],
            "dns": ["185.12.64.1"], "domains": ["example.org"],
            "link": {"required_for_online": "routable", "mtu": 1450},
            "settings": {"Network": {"IPv6AcceptRA": False, "LLDP": "yes"}},
        }}}}}
    ''').to_data()
    text = network_files(data)["10-wan.network"]
    lines = text.splitlines()
    for line in ["Name=enp1s0", "DHCP=no", "Address=203.0.113.5/32", "Address=2001:db8:1::2/64",
                 "Gateway=fe80::1", "DNS=185.12.64.1", "Domains=example.org",
                 "RequiredForOnline=routable", "MTUBytes=1450", "IPv6AcceptRA=no", "LLDP=yes",
                 "[Route]", "Gateway=172.31.1.1", "GatewayOnLink=yes"]:
        assert line in lines, text
    # The default DHCP stays for the other ports, after the declared file.
    assert sorted(network_files(data)) == ["10-wan.network", "90-pydeclos-dhcp.network"]
    for name, content in network_files(data).items():
        (tmp_path / name).write_text(content)
    assert validators.networkd(tmp_path) is None


def test_interfaces_are_networks_too(system) -> None:
    data = system('''
        config = {"networking": {"use_dhcp": False, "interfaces": {"eth1": {
            "addresses": ["192.0.2.10/24"], "gateway": "192.0.2.1"}}}}
    ''').to_data()
    files = network_files(data)
    assert list(files) == ["50-pydeclos-eth1.network"]
    assert "Gateway=192.0.2.1" in files["50-pydeclos-eth1.network"].splitlines()
    assert "systemd-networkd-wait-online.service" not in data["systemd"]["drop_ins"]


def test_a_disabled_network_writes_no_file(system) -> None:
    data = system('''
        config = {"systemd": {"network": {"networks": {"10-x": {
            "enable": False, "match": {"name": ["eth9"]}}}}}}
    ''').to_data()
    assert "10-x.network" not in network_files(data)


def test_domain_is_the_fqdn_not_a_search_domain(system) -> None:
    data = system('''
        config = {"networking": {"hostname": "web1", "domain": "example.org"}}
    ''').to_data()
    hosts = data["environment"]["etc"]["hosts"]["text"].splitlines()
    # getaddrinfo's canonical name, which `hostname -f` prints, is the first name.
    assert "127.0.1.1\tweb1.example.org web1" in hosts
    assert not any("resolved.conf.d" in path for path in data["files"]["usr"])


def test_search_domains_go_to_resolved(system) -> None:
    data = system('''
        config = {"networking": {"search": ["corp.example", "example.org"],
                                 "nameservers": ["192.0.2.53"]}}
    ''').to_data()
    text = data["files"]["usr"]["lib/systemd/resolved.conf.d/50-pydeclos.conf"]["text"]
    assert "Domains=corp.example example.org" in text.splitlines()
    assert "DNS=192.0.2.53" in text.splitlines()


def test_trusted_interfaces_and_no_ping(system) -> None:
    data = system('''
        config = {"networking": {"firewall": {"trusted_interfaces": ["wg*", "br0", "br0"],
                                              "allow_ping": False}}}
    ''').to_data()
    rules = data["environment"]["etc"]["nftables.conf"]["text"]
    lines = [line.strip() for line in rules.splitlines()]
    assert 'iifname "br0" accept' in lines and 'iifname "wg*" accept' in lines
    assert lines.count('iifname "br0" accept') == 1
    drop = lines.index("icmp type echo-request drop")
    assert lines.index("icmpv6 type echo-request drop") < lines.index(
        "meta l4proto { icmp, icmpv6 } accept")
    assert drop < lines.index("meta l4proto { icmp, icmpv6 } accept")
    pinged = system("config = {}\n").to_data()["environment"]["etc"]["nftables.conf"]["text"]
    assert "echo-request" not in pinged


def test_nft_accepts_trusted_interfaces_and_no_ping(system, tmp_path: Path) -> None:
    data = system('''
        config = {"networking": {"firewall": {"trusted_interfaces": ["wg*", "br0"],
                                              "allow_ping": False}}}
    ''').to_data()
    rules = tmp_path / "nftables.conf"
    rules.write_text(data["environment"]["etc"]["nftables.conf"]["text"])
    assert validators.nft(rules) is None


NETWORKS = 'config = {{"systemd": {{"network": {{"networks": {{"10-x": {}}}}}}}}}'
MATCHED = '"match": {"name": ["eth0"]}'

MISUSE = [
    pytest.param(NETWORKS.format('{"dhcp": "yes"}'),
                 ['systemd.network.networks."10-x"', "says no link it applies to", "match.name"],
                 id="network-without-match"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "match": {"mac_address": ["52:54:00:12:34"]}}'),
                 ["mac_address", "a MAC address such as"], id="short-mac"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "dhcp": "maybe"}'),
                 ["dhcp", "maybe"], id="dhcp-word"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "routes": [{"destination": "10.0.0.1/8"}]}'),
                 ["destination", "no host bits set"], id="route-destination-host-bits"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "link": {"mtu": 20}}'),
                 ["mtu", "20"], id="mtu-too-small"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "link": {"required_for_online": "online"}}'),
                 ["required_for_online", "minimum operational state"], id="online-state"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "settings": {"Network": {"DNS": "1.1.1.1\\n'
                                 '[Match]"}}}'),
                 ["settings", "DNS"], id="raw-value-newline"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "settings": {"network]\\n[Match": {}}}'),
                 ["settings", "section name"], id="raw-section-name"),
    pytest.param(NETWORKS.format('{' + MATCHED + ', "settings": {"Network": {"A=B": 1}}}'),
                 ["settings", "A=B"], id="raw-key-with-equals"),
    pytest.param('config = {"systemd": {"network": {"networks": {"../x": {}}}}}',
                 ["systemd.network.networks", "../x", ".network file name"], id="network-name"),
    pytest.param('config = {"networking": {"firewall": {"trusted_interfaces": ["eth0\\""]}}}',
                 ["trusted_interfaces", "an interface name"], id="trusted-interface-quote"),
    pytest.param('config = {"networking": {"firewall": {"trusted_interfaces": ["w*g"]}}}',
                 ["trusted_interfaces", "ending in '*'"], id="trusted-interface-inner-star"),
    pytest.param('config = {"networking": {"search": ["bad domain"]}}',
                 ["networking.search", "bad domain"], id="search-domain"),
]


@pytest.mark.parametrize("source,words", MISUSE)
def test_misuse_names_the_users_line(refused, source: str, words: list[str]) -> None:
    refused(f"\n{source}\n", *words, "system.py:2")
