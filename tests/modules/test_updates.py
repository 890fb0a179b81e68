"""image.updates: a URL source lowers to url-file transfers that verify a signature against
the shipped key; unsigned network sources are refused unless allowed; a path source keeps
the local transfers."""

from __future__ import annotations

import configparser
import json
import subprocess
from pathlib import Path

import pytest

from pydeclos.lower.common import EXTRA
from tests.modules.lowering import lower_cli
from tests.switch.keys import armored, signing_key

USR = Path(EXTRA) / "usr"


def transfers(directory: Path) -> dict[str, configparser.ConfigParser]:
    parsed = {}
    for path in sorted(directory.glob("*.transfer")):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(path.read_text())
        parsed[path.name] = parser
    return parsed


def lower(tmp_path: Path, updates: str) -> Path:
    tree, result = lower_cli(f"config = {{'image': {{'id': 'fleet', 'updates': {updates}}}}}\n",
                             tmp_path / "work")
    assert result.exit_code == 0, result.output
    return tree


def test_a_signed_url_source_downloads_verifies_and_ships_the_key(tmp_path: Path) -> None:
    with signing_key(tmp_path) as (uid, public):
        (tmp_path / "updates.asc").write_text(armored(uid))
        tree = lower(tmp_path, "{'source': 'http://10.0.2.100:8080/fleet/', 'public_key': "
                               f"open({str(tmp_path / 'updates.asc')!r}).read()}}")
        # The shipped keyring verifies what the key signs, as systemd-pull's gpg will.
        (tmp_path / "SHA256SUMS").write_text("x  fleet_2.efi\n")
        subprocess.run(["gpg", "--batch", "--local-user", uid, "--detach-sign", "--output",
                        str(tmp_path / "SHA256SUMS.gpg"), str(tmp_path / "SHA256SUMS")],
                       check=True, capture_output=True)
    for keyring in ("import-pubring.gpg", "import-pubring.pgp"):
        shipped = tree / USR / "lib/systemd" / keyring
        assert shipped.read_bytes() == public.read_bytes()
        assert subprocess.run(["gpgv", "--keyring", str(shipped), str(tmp_path / "SHA256SUMS.gpg"),
                               str(tmp_path / "SHA256SUMS")], capture_output=True).returncode == 0
    remote = transfers(tree / USR / "lib/sysupdate.d")
    assert sorted(remote) == ["10-usr.transfer", "11-usr-verity.transfer", "90-uki.transfer"]
    for transfer in remote.values():
        assert transfer["Transfer"]["Verify"] == "yes"
        assert transfer["Source"]["Type"] == "url-file"
        assert transfer["Source"]["Path"] == "http://10.0.2.100:8080/fleet"
    assert remote["90-uki.transfer"]["Source"]["MatchPattern"] == "fleet_@v.efi"
    # `switch --from` still installs from a mounted build output, by these:
    local = transfers(tree / USR / "lib/pydeclos/sysupdate.d")
    assert {t["Source"]["Type"] for t in local.values()} == {"regular-file"}
    assert "Packages=gpg" in (tree / "mkosi.conf").read_text()  # systemd-pull runs gpg
    assert json.loads((tree / USR / "lib/pydeclos/updates.json").read_text()) == {
        "source": "http://10.0.2.100:8080/fleet/", "signed": True,
        "local_definitions": "/usr/lib/pydeclos/sysupdate.d"}


def test_an_unsigned_network_source_is_refused_at_its_line(tmp_path: Path) -> None:
    _, result = lower_cli("config = {'image': {'updates': {\n"
                          "    'source': 'http://updates.example.org/'}}}\n", tmp_path)
    assert result.exit_code != 0
    for words in ("image.updates.source = 'http://updates.example.org/'",
                  "no image.updates.public_key is set", "image.updates.allow_unsigned = True",
                  "system.py:2"):
        assert words in result.output, result.output


def test_allowed_unsigned_updates_skip_verification_and_ship_no_key(tmp_path: Path) -> None:
    tree = lower(tmp_path, "{'source': 'https://updates.example.org/', 'allow_unsigned': True}")
    remote = transfers(tree / USR / "lib/sysupdate.d")
    assert {t["Transfer"]["Verify"] for t in remote.values()} == {"no"}
    assert not (tree / USR / "lib/systemd/import-pubring.gpg").exists()
    assert "gpg" not in (tree / "mkosi.conf").read_text().split("Packages=")[-1].split()


def test_a_path_source_keeps_the_local_transfers(tmp_path: Path) -> None:
    tree = lower(tmp_path, "{'source': '/srv/updates'}")
    local = transfers(tree / USR / "lib/sysupdate.d")
    assert {t["Source"]["Path"] for t in local.values()} == {"/var/lib/pydeclos/updates"}
    assert not (tree / USR / "lib/pydeclos/sysupdate.d").exists()
    settings = json.loads((tree / USR / "lib/pydeclos/updates.json").read_text())
    assert settings["source"] == "/srv/updates" and settings["local_definitions"] is None


@pytest.mark.parametrize(("updates", "words"), [
    ("{'source': 'ftp://updates.example.org/'}", "an http:// or https:// URL, or an absolute path"),
    ("{'source': '/srv/x', 'public_key': 'not a key'}", "an ASCII-armored OpenPGP public key block"),
])
def test_bad_values_are_refused(tmp_path: Path, updates: str, words: str) -> None:
    _, result = lower_cli(f"config = {{'image': {{'updates': {updates}}}}}\n", tmp_path)
    assert result.exit_code != 0 and words in result.output, result.output


def unit(tree: Path, name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((tree / USR / "lib/systemd/system" / name).read_text())
    return parser


@pytest.mark.parametrize(("policy", "command"), [
    ("switch", "/usr/bin/pydeclos switch --yes --if-newer"),
    ("reboot", "/usr/bin/pydeclos switch --yes --if-newer --stage-only"),
])
def test_automatic_updates_run_switch_on_a_calendar_by_policy(
        tmp_path: Path, policy: str, command: str) -> None:
    tree = lower(tmp_path, "{'source': '/srv/updates', 'automatic': {'enable': True, "
                           f"'policy': {policy!r}, 'calendar': 'Mon..Fri 03:00', "
                           "'random_delay': '2h'}}")
    timer = unit(tree, "pydeclos-update.timer")
    assert timer["Timer"]["OnCalendar"] == "Mon..Fri 03:00"
    assert timer["Timer"]["RandomizedDelaySec"] == "2h"
    assert timer["Timer"]["Persistent"] == "yes"
    assert (tree / USR / "lib/systemd/system/timers.target.wants/pydeclos-update.timer").exists()
    service = unit(tree, "pydeclos-update.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"] == command
    assert "network-online.target" in service["Unit"]["Wants"]
    assert not (tree / USR / "lib/systemd/system/pydeclos-update-window.timer").exists()


def test_the_window_policy_stages_then_switches_at_the_window(tmp_path: Path) -> None:
    tree = lower(tmp_path, "{'source': '/srv/updates', 'automatic': {'enable': True, "
                           "'policy': 'window', 'window': 'Sun 02:00'}}")
    assert unit(tree, "pydeclos-update.service")["Service"]["ExecStart"].endswith("--stage-only")
    assert unit(tree, "pydeclos-update-window.timer")["Timer"]["OnCalendar"] == "Sun 02:00"
    window = unit(tree, "pydeclos-update-window.service")["Service"]["ExecStart"]
    assert window == "/usr/bin/pydeclos switch --yes --if-newer"


def test_automatic_updates_are_off_by_default(tmp_path: Path) -> None:
    tree = lower(tmp_path, "{'source': '/srv/updates'}")
    assert not list((tree / USR / "lib/systemd/system").glob("pydeclos-update*"))


@pytest.mark.parametrize(("updates", "words"), [
    ("{'automatic': {'enable': True}}",
     ["image.updates.automatic.enable needs an update source", "set image.updates.source",
      "system.py:2"]),
    ("{'source': '/srv/u', 'automatic': {'enable': True, 'policy': 'window'}}",
     ["policy = 'window' needs image.updates.automatic.window", "system.py:2"]),
    ("{'source': '/srv/u', 'automatic': {'enable': True, 'window': 'Sun 02:00'}}",
     ["window is set but policy is 'reboot'", "system.py:2"]),
    ("{'source': '/srv/u', 'automatic': {'enable': True, 'calendar': 'Mon 25:00'}}",
     ["image.updates.automatic.calendar", "systemd calendar expression", "'Mon 25:00'",
      "system.py:2"]),
])
def test_automatic_update_mistakes_are_refused_at_the_users_line(
        tmp_path: Path, updates: str, words: list[str]) -> None:
    _, result = lower_cli(f"config = {{'image': {{\n    'updates': {updates}}}}}\n", tmp_path)
    assert result.exit_code != 0
    for each in words:
        assert each in result.output, result.output


def test_boot_tries_sets_the_new_entrys_counter_and_zero_is_refused(tmp_path: Path) -> None:
    tree = lower(tmp_path, "{'boot_tries': 1}")
    uki = transfers(tree / USR / "lib/sysupdate.d")["90-uki.transfer"]
    assert uki["Target"]["TriesLeft"] == "1" and uki["Target"]["TriesDone"] == "0"
    _, result = lower_cli("config = {'image': {'updates': {'boot_tries': 0}}}\n",
                          tmp_path / "zero")
    assert result.exit_code != 0
    assert "image.updates.boot_tries" in result.output and "Traceback" not in result.output
