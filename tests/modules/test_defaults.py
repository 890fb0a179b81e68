"""An empty system.py evaluates cleanly to a bootable base; every option is documented."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pydeclos.cli import main

BASE = ["systemd", "systemd-sysv", "systemd-boot", "systemd-boot-efi", "systemd-container",
        "systemd-cryptsetup", "systemd-repart", "udev", "dbus", "cryptsetup-bin",
        "kexec-tools", "util-linux", "mount", "e2fsprogs"]


def test_empty_system_evaluates_without_warnings(system) -> None:
    result = system("")
    assert result.warnings == []
    data = result.to_data()
    assert data["networking"]["hostname"] == "pydeclos"
    assert data["boot"]["kernel_params"] == ["console=ttyS0"]
    assert data["users"]["users"] == {}
    assert data["services"]["openssh"]["enable"] is False


def test_base_packages_kernel_and_network_services_are_in_by_default(system) -> None:
    data = system("").to_data()
    packages = data["packages"]
    for name in [*BASE, "linux-image-cloud-amd64", "systemd-resolved", "systemd-timesyncd",
                 "nftables"]:
        assert name in packages
    assert len(packages) == len(set(packages))
    for name in ("openssh-server", "nginx", "locales-all", "kbd"):
        assert name not in packages
    # The one unit of its own: it keeps hand edits of declared /etc files at boot.
    assert set(data["systemd"]["services"]) == {"pydeclos-etc-keep"}
    assert set(data["systemd"]["enabled"]) == {
        "systemd-networkd.service", "systemd-resolved.service", "systemd-timesyncd.service",
        "nftables.service"}


def test_user_packages_add_to_the_base_set(system) -> None:
    packages = system('config = {"packages": ["htop", "systemd", "curl"]}\n').to_data()["packages"]
    assert set(BASE) <= set(packages)
    assert packages.count("systemd") == 1
    assert packages.index("htop") < packages.index("curl")
    assert packages.index("systemd") < packages.index("htop"), "base set comes first"


def test_kernel_comes_from_boot_kernel_packages(system) -> None:
    packages = system('config = {"boot": {"kernel_packages": ["linux-image-amd64"]}}\n'
                      ).to_data()["packages"]
    assert "linux-image-amd64" in packages
    assert "linux-image-cloud-amd64" not in packages


def test_turning_things_off_removes_their_packages_and_units(system) -> None:
    data = system('config = {"networking": {"firewall": {"enable": False}},'
                  ' "time": {"ntp": {"enable": False}}}\n').to_data()
    assert "nftables" not in data["packages"]
    assert "systemd-timesyncd" not in data["packages"]
    assert "nftables.service" not in data["systemd"]["enabled"]


def test_locale_and_keymap_pull_in_their_data(system) -> None:
    data = system('config = {"i18n": {"locale": "de_DE.UTF-8"},'
                  ' "console": {"keymap": "de-latin1"}}\n').to_data()
    assert {"locales-all", "kbd", "console-data"} <= set(data["packages"])
    keymap = data["systemd"]["services"]["console-keymap"]
    assert keymap["exec_start"] == ["-/usr/bin/loadkeys de-latin1"]
    assert keymap["wanted_by"] == ["multi-user.target"]


def test_file_system_tools_follow_the_types_used(system) -> None:
    data = system('config = {"file_systems": {"/srv": {"device": "LABEL=srv",'
                  ' "fs_type": "xfs"}}}\n').to_data()
    assert "xfsprogs" in data["packages"]
    assert data["file_systems"]["/srv"]["options"] == ["defaults"]


def test_every_option_has_a_type_a_description_and_a_default(system) -> None:
    infos = [info for info in system("").options if any(
        where.startswith("modules/") or "/modules/" in where for where in info.declarations)]
    assert len(infos) > 100
    assert [i.path for i in infos if not i.description.strip()] == []
    assert [i.path for i in infos if not i.type] == []
    # No mandatory option anywhere, so an empty system.py (or entry) is always complete.
    assert [i.path for i in infos if not i.has_default and not i.sub_options] == []
    for info in infos:
        assert all(":" in where for where in info.declarations), info.declarations


def test_options_json_points_at_each_declaration(monkeypatch) -> None:
    """`pydeclos options --json` gives file:line, and that line declares the option."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["options", "--json"])
    assert result.exit_code == 0, result.output
    checked = 0
    for record in json.loads(result.stdout):
        name = record["path"].split(".")[-1].strip('"')
        for where in record["declarations"]:
            file, line = where.rsplit(":", 1)
            if not file.startswith("modules/"):
                continue
            text = (root / file).read_text().splitlines()[int(line) - 1]
            assert f'"{name}"' in text, (record["path"], where, text)
            checked += 1
    assert checked > 100
