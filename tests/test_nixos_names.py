"""The NixOS name table: every target is a real option, the docs are the table, and a
system file written with NixOS names is told the names here, at its line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pydeclos.errors import PydeclosError
from pydeclos.nixos_names import NIXOS_NAMES, PYDECLOS_ONLY, lookup, other_spelling, search, updated
from pydeclos.system import evaluate_system

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "from-nixos.md"


@pytest.fixture(scope="module")
def declared() -> set[str]:
    return {info.path for info in evaluate_system(None, run=False).options}


@pytest.mark.parametrize("row", [r for r in NIXOS_NAMES if r.pydeclos],
                         ids=lambda row: row.nixos)
def test_every_target_is_a_declared_option(row, declared: set[str]) -> None:
    assert row.pydeclos in declared, (
        f"{row.nixos} maps to {row.pydeclos}, which no module declares: "
        "fix the row in pydeclos/nixos_names.py")


def test_a_renamed_nixos_name_is_not_also_a_pydeclos_option(declared: set[str]) -> None:
    """Else the error and `pydeclos options` would send people away from a real option."""
    assert not [r.nixos for r in NIXOS_NAMES if r.nixos in declared and r.pydeclos != r.nixos]


def test_every_option_topic_has_a_nixos_row_or_is_pydeclos_only() -> None:
    """A topic is an option path's first two names (`services.nginx`, `time.ntp`)."""
    infos = [i for i in evaluate_system(None, run=False).options if i.visible and not i.internal]
    targets = [row.pydeclos for row in NIXOS_NAMES if row.pydeclos]
    topics = {".".join(i.path.split(".")[:2]).removesuffix(".*") for i in infos}
    missing = sorted(topic for topic in topics - PYDECLOS_ONLY
                     if not any(x == topic or x.startswith(topic + ".") for x in targets))
    assert not missing, (
        f"No NixOS name maps to {missing}: add a row to NIXOS_NAMES in "
        "pydeclos/nixos_names.py (or the topic to PYDECLOS_ONLY when NixOS has none), then "
        "`.venv/bin/python -m pydeclos.nixos_names docs/from-nixos.md`")


def test_each_nixos_name_once() -> None:
    names = [row.nixos for row in NIXOS_NAMES]
    assert len(names) == len(set(names))


def test_the_names_issue_12_asks_for() -> None:
    for nixos, here in [
        ("networking.hostName", "networking.hostname"),
        ("users.users.x.openssh.authorizedKeys.keys", "users.users.x.ssh_authorized_keys"),
        ("services.openssh.settings.PermitRootLogin", "services.openssh.permit_root_login"),
        ("time.timeZone", "time.timezone"), ("i18n.defaultLocale", "i18n.locale"),
        ("console.keyMap", "console.keymap"), ("boot.kernelParams", "boot.kernel_params"),
        ("environment.systemPackages", "packages"),
        ('environment.etc."nginx/x.conf".text', 'environment.etc."nginx/x.conf".text'),
        ("systemd.services.web.wantedBy", "systemd.services.web.wanted_by"),
        ("systemd.services.web.serviceConfig", "systemd.services.web.service_config"),
        ("fileSystems", "file_systems"),
        ('fileSystems."/srv".fsType', 'file_systems."/srv".fs_type'),
        ("networking.firewall.allowedTCPPorts", "networking.firewall.allowed_tcp_ports"),
        ("services.nginx.virtualHosts", "services.nginx.virtual_hosts"),
    ]:
        found = lookup(nixos)
        assert found is not None and found[1] == here, nixos


def test_the_doc_is_the_table() -> None:
    text = DOC.read_text()
    assert updated(text) == text, (
        "docs/from-nixos.md is stale: run `.venv/bin/python -m pydeclos.nixos_names "
        "docs/from-nixos.md`")


def test_the_doc_is_linked() -> None:
    assert "from-nixos.md" in (ROOT / "docs" / "index.md").read_text()
    assert "docs/from-nixos.md" in (ROOT / "README.md").read_text()


def test_search_by_last_part_full_name_and_glob() -> None:
    assert [r.pydeclos for r in search("hostName")] == ["networking.hostname"]
    assert [r.pydeclos for r in search("users.users.bob.isNormalUser")] == [
        "users.users.<name>.is_normal_user"]
    assert {r.pydeclos for r in search("fileSystems.*")} >= {"file_systems.<name>.fs_type"}
    assert search("hostname", loose=False) == []


def test_a_same_name_is_not_an_other_spelling() -> None:
    assert other_spelling("networking.nameservers") is None
    assert other_spelling("networking.no.such.thing") is None


# One line per case: the system file's config, then words the error must contain.
ERRORS = [
    ('{"networking": {"hostName": "web"}}',
     ["networking.hostName", "is `networking.hostname` here", "system.py:1"]),
    ('{"users": {"users": {"x": {"openssh": {"authorizedKeys": {"keys": ["ssh-ed25519 A x"]}}}}}}',
     ["users.users.x.openssh.authorizedKeys.keys", "`users.users.x.ssh_authorized_keys`",
      "system.py:1"]),
    ('{"users": {"users": {"x": {"isNormalUser": True}}}}',
     ["is `users.users.x.is_normal_user` here", "system.py:1"]),
    ('{"time": {"timeZone": "Europe/Helsinki"}}', ["is `time.timezone` here", "system.py:1"]),
    ('{"i18n": {"defaultLocale": "fi_FI.UTF-8"}}', ["is `i18n.locale` here", "system.py:1"]),
    ('{"console": {"keyMap": "fi"}}', ["is `console.keymap` here", "system.py:1"]),
    ('{"boot": {"kernelParams": ["quiet"]}}', ["is `boot.kernel_params` here"]),
    ('{"environment": {"systemPackages": ["htop"]}}', ["is `packages` here", "Debian package"]),
    ('{"fileSystems": {"/srv": {"device": "/dev/vdb"}}}', ["is `file_systems` here"]),
    ('{"file_systems": {"/srv": {"device": "/dev/vdb", "fsType": "ext4"}}}',
     ["`fsType` is NixOS' name", 'here it is `file_systems."/srv".fs_type`']),
    ('{"networking": {"firewall": {"allowedTCPPorts": [80]}}}',
     ["is `networking.firewall.allowed_tcp_ports` here"]),
    ('{"services": {"nginx": {"virtualHosts": {"a.example": {"root": "/srv/a"}}}}}',
     ["is `services.nginx.virtual_hosts` here"]),
    ('{"services": {"openssh": {"openFirewall": False}}}',
     ["is `services.openssh.open_firewall` here"]),
    ('{"systemd": {"services": {"app": {"wantedBy": ["multi-user.target"]}}}}',
     ["is `systemd.services.app.wanted_by` here"]),
    ('{"system": {"stateVersion": "24.05"}}', ["`system.stateVersion` has no counterpart"]),
]


@pytest.mark.parametrize("config,words", ERRORS, ids=[c for c, _ in ERRORS])
def test_nixos_spelling_is_told_the_name_here(tmp_path: Path, config: str,
                                              words: list[str]) -> None:
    path = tmp_path / "system.py"
    path.write_text(f"config = {config}\n")
    with pytest.raises(PydeclosError) as caught:
        evaluate_system(path).to_data()
    message = str(caught.value)
    for word in words:
        assert word in message, message


def test_the_doc_snippets_evaluate(tmp_path: Path) -> None:
    """The sharing-data example in docs/from-nixos.md, written out as its files."""
    blocks = re.findall(r"```python\n# site/([\w/]+\.py)[^\n]*\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert {name for name, _ in blocks} == {"site_data.py", "modules/admins.py", "system.py"}
    for name, body in blocks:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(body))
    evaluation = evaluate_system(tmp_path / "system.py")
    data = evaluation.to_data()
    assert data["users"]["users"]["alice"]["extra_groups"] == ["sudo"]
    assert data["networking"]["domain"] == "example.org"
