"""What a user would notice in the lowered tree, asserted beside the whole-tree snapshots.

A snapshot accepts any change after one `--snapshot-update`; these tests do not. Each
expected value is written here, from the system file it comes from, never computed by the
code under test. The trees are lowered through `pydeclos lower`, as a user does.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.conftest import REPO, unavailable
from tests.lower import tools

EXTRA = "mkosi.extra"
STORE = f"{EXTRA}/usr/share/pydeclos/etc"

# Written by the tests below as a user would write it: one system file per behaviour.
FIREWALL_SYSTEM = """\
def config(cfg):
    return {
        "networking": {"firewall": {"allowed_tcp_ports": [8443, 25],
                                    "allowed_udp_ports": [53, 123]}},
        "services": {"openssh": {"enable": True}},
    }
"""
CONSOLE_SYSTEM = """\
def config(cfg):
    return {"console": {"keymap": "de-latin1"}, "i18n": {"locale": "de_DE.UTF-8"}}
"""


def lower(system: Path, out: Path) -> Path:
    result = CliRunner().invoke(main, ["lower", str(system), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def lower_text(text: str, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    system = work / "system.py"
    system.write_text(textwrap.dedent(text))
    return lower(system, work / "tree")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lower(REPO / "examples/server/system.py", tmp_path_factory.mktemp("server") / "tree")


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lower(REPO / "examples/minimal/system.py", tmp_path_factory.mktemp("minimal") / "tree")


# --- /etc: exactly the declared entries ------------------------------------------------------

MINIMAL_ETC = {
    "fstab", "hostname", "hosts", "locale.conf", "localtime", "nftables.conf",
    "ssh/authorized_keys.d/alice", "ssh/sshd_config.d/pydeclos.conf", "vconsole.conf",
}
SERVER_ETC = {
    "fstab", "hostname", "hosts", "locale.conf", "localtime", "nftables.conf",
    "nginx/conf.d/pydeclos.conf", "nginx/sites-enabled/default",
    "ssh/authorized_keys.d/alice", "ssh/authorized_keys.d/bob",
    "ssh/sshd_config.d/pydeclos.conf", "vconsole.conf",
}


def etc_links(tree: Path) -> dict[str, str]:
    """/etc path → link target, from the tmpfiles lines that put the entries in place."""
    links = {}
    for line in (tree / EXTRA / "usr/lib/tmpfiles.d/00-pydeclos-etc.conf").read_text().splitlines():
        if line.startswith("L+ /etc/"):
            fields = line.split()
            links[fields[1].removeprefix("/etc/")] = fields[6]
    return links


@pytest.mark.parametrize(("example", "expected"), [("minimal", MINIMAL_ETC), ("server", SERVER_ETC)])
def test_each_example_manages_exactly_its_etc_entries(example, expected, request) -> None:
    tree = request.getfixturevalue(example)
    links = etc_links(tree)
    assert set(links) == expected
    stored = {str(p.relative_to(tree / STORE)) for p in (tree / STORE).rglob("*") if p.is_file()}
    assert stored == expected - {"localtime"}
    for path in stored:
        assert links[path] == f"/usr/share/pydeclos/etc/{path}"


def test_server_etc_contents_follow_its_system_file(server) -> None:
    store = server / STORE
    assert (store / "hostname").read_text() == "web1\n"
    assert etc_links(server)["localtime"] == "../usr/share/zoneinfo/Europe/Berlin"
    fstab = [line.split() for line in (store / "fstab").read_text().splitlines()
             if line and not line.startswith("#")]
    assert fstab == [["LABEL=data", "/srv/data", "ext4", "noatime,nofail", "0", "2"]]
    keys = (store / "ssh/authorized_keys.d/bob").read_text()
    assert keys.startswith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJvYnNrZXlmb3J0aGVzZXJ2ZXJleGFtcGxlcw")


# --- console and locale ---------------------------------------------------------------------

def test_console_and_locale_files_hold_the_defaults(minimal) -> None:
    assert (minimal / STORE / "vconsole.conf").read_text() == "KEYMAP=us\n"
    assert (minimal / STORE / "locale.conf").read_text() == "LANG=C.UTF-8\n"


def test_console_and_locale_files_follow_the_options(tmp_path: Path) -> None:
    tree = lower_text(CONSOLE_SYSTEM, tmp_path)
    assert (tree / STORE / "vconsole.conf").read_text() == "KEYMAP=de-latin1\n"
    assert (tree / STORE / "locale.conf").read_text() == "LANG=de_DE.UTF-8\n"


# --- sysupdate transfers --------------------------------------------------------------------

def transfers(tree: Path) -> dict[str, configparser.ConfigParser]:
    parsed = {}
    for path in sorted((tree / EXTRA / "usr/lib/sysupdate.d").glob("*.transfer")):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(path.read_text())
        parsed[path.name] = parser
    return parsed


def test_transfers_protect_the_running_version_and_match_the_build_artifacts(minimal) -> None:
    found = transfers(minimal)
    assert sorted(found) == ["10-usr.transfer", "11-usr-verity.transfer", "90-uki.transfer"]
    for transfer in found.values():
        assert transfer["Transfer"]["ProtectVersion"] == "%A"
        assert transfer["Source"]["Type"] == "regular-file"
        assert transfer["Source"]["Path"] == "/var/lib/pydeclos/updates"
    usr, verity, uki = (found[n] for n in sorted(found))
    # The names `pydeclos build` gives the artifacts (image id "pydeclos", version @v).
    # xz'd as built, or plain as `switch` rebuilds them from published deltas
    assert usr["Source"]["MatchPattern"] == "pydeclos_@v.usr.@u.raw.xz pydeclos_@v.usr.@u.raw"
    assert verity["Source"]["MatchPattern"] == (
        "pydeclos_@v.usr-verity.@u.raw.xz pydeclos_@v.usr-verity.@u.raw")
    assert uki["Source"]["MatchPattern"] == "pydeclos_@v.efi"
    assert (usr["Target"]["MatchPartitionType"], usr["Target"]["MatchPattern"]) == (
        "usr", "pydeclos_@v")
    assert (verity["Target"]["MatchPartitionType"], verity["Target"]["MatchPattern"]) == (
        "usr-verity", "pydeclos_@v_verity")
    assert usr["Target"]["ReadOnly"] == verity["Target"]["ReadOnly"] == "1"
    # The UKI goes to the ESP with boot counting, and two versions stay installed.
    assert uki["Target"]["Path"] == "/EFI/Linux"
    assert uki["Target"]["PathRelativeTo"] == "boot"
    assert uki["Target"]["MatchPattern"].split() == [
        "pydeclos_@v+@l-@d.efi", "pydeclos_@v+@l.efi", "pydeclos_@v.efi"]
    assert uki["Target"]["TriesLeft"] == "3"
    assert uki["Target"]["InstancesMax"] == "2"


# --- the firewall, loaded by the kernel and read back ---------------------------------------

def loaded_ruleset(rules: Path) -> list[dict]:
    """The ruleset as the kernel holds it after `nft -f`, in a network namespace of its own
    (and without /etc/protocols, which images lack)."""
    tools.need("nft", "unshare")
    if os.geteuid() != 0:
        unavailable("needs root: a network namespace to load the firewall into")
    hide = "mount --bind /dev/null /etc/protocols && " if Path("/etc/protocols").exists() else ""
    result = tools.run(["unshare", "--net", "--mount", "sh", "-c",
                        f'{hide}nft -f "$0" && exec nft -j list ruleset', rules])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["nftables"]


def input_chain(ruleset: list[dict]) -> dict:
    chains = [item["chain"] for item in ruleset if "chain" in item]
    inputs = [c for c in chains if c.get("hook") == "input"]
    assert len(inputs) == 1, chains
    return inputs[0]


def accepted_ports(ruleset: list[dict], protocol: str) -> set[int]:
    """Ports of `<protocol> dport … accept` rules that match nothing else (no address)."""
    ports: set[int] = set()
    for item in ruleset:
        rule = item.get("rule")
        if not rule or rule.get("chain") != "input":
            continue
        matches = [e["match"] for e in rule["expr"] if "match" in e]
        verdicts = [e for e in rule["expr"] if "accept" in e]
        if len(matches) != 1 or not verdicts:
            continue
        left = matches[0]["left"].get("payload", {})
        if left.get("protocol") != protocol or left.get("field") != "dport":
            continue
        right = matches[0]["right"]
        values = right["set"] if isinstance(right, dict) and "set" in right else [right]
        ports |= {int(v) for v in values}
    return ports


def test_server_firewall_drops_by_default_and_opens_ssh_and_http(server) -> None:
    ruleset = loaded_ruleset(server / STORE / "nftables.conf")
    chain = input_chain(ruleset)
    assert (chain["type"], chain["policy"]) == ("filter", "drop")
    assert accepted_ports(ruleset, "tcp") == {22, 80}
    assert accepted_ports(ruleset, "udp") == set()  # DHCPv6 replies match an address too


def test_firewall_ports_land_under_their_protocol(tmp_path: Path) -> None:
    tree = lower_text(FIREWALL_SYSTEM, tmp_path)
    ruleset = loaded_ruleset(tree / STORE / "nftables.conf")
    assert input_chain(ruleset)["policy"] == "drop"
    assert accepted_ports(ruleset, "tcp") == {22, 25, 8443}
    assert accepted_ports(ruleset, "udp") == {53, 123}


# --- users: ids and password hashes ---------------------------------------------------------

# `openssl passwd -6 -salt pydeclossalt1 correct-horse`, and the same for battery-staple.
HASH_1 = ("$6$pydeclossalt1$HOkx0CxQ4r.YzHDg6y0lYJtUudg989rLr.1VLgS41Ny.qBXcOrWUHx/"
          "ad.JIhacYmBB4uAzOAvwnGky0hGyZr0")
HASH_2 = ("$6$pydeclossalt2$PrS.axMTUO1z6F6KHHz5KGukEcdbiYUL3b2nvth1M87qz2jv4HEj5HIF."
          "2dG.nuzG3tIerNZEZgM/LBNSp0ot0")
MIXED_UIDS_SYSTEM = """\
def config(cfg):
    normal = {"is_normal_user": True}
    return {"users": {"users": {
        "zed": {**normal, "uid": 1000}, "alice": normal, "bob": normal,
        "carol": {**normal, "uid": 1002}, "dave": normal,
    }}}
"""
PASSWORD_SYSTEM = """\
def config(cfg):
    return {"users": {"mutable": %s, "users": {"alice": {
        "is_normal_user": True, "hashed_password_file": "/etc/credstore/alice.hash"}}}}
"""
HASH_3 = "$y$j9T$Ng9kQ1wqnYh6eJ3/y4PBb.$mC8M2mNGCDT0bVwIcgqv9BMyI3vF3t9nEBm6Z1TqXn5"
HASH_FILE = "etc/credstore/alice.hash"
GENERATION_1 = """\
def config(cfg):
    return {"users": {"users": {"bob": {"is_normal_user": True},
                                "carol": {"is_normal_user": True, "extra_groups": ["sudo"]}}}}
"""
GENERATION_2 = """\
def config(cfg):
    return {"users": {"users": {"alice": {"is_normal_user": True, "extra_groups": ["bob"]},
                                "bob": {"is_normal_user": True},
                                "carol": {"is_normal_user": True, "extra_groups": ["sudo"]},
                                "svc": {"is_system_user": True}}}}
"""


def test_uids_stay_unique_when_explicit_and_automatic_ones_mix(tmp_path: Path) -> None:
    tools.need("systemd-sysusers")
    tree = lower_text(MIXED_UIDS_SYSTEM, tmp_path)
    root = tools.applied_root(tree / EXTRA, tmp_path / "root")
    uids = {name: int(fields[2]) for name, fields in tools.passwd(root).items()
            if name in {"zed", "alice", "bob", "carol", "dave"}}
    assert len(uids) == 5
    assert (uids["zed"], uids["carol"]) == (1000, 1002)
    assert len(set(uids.values())) == 5, uids
    assert all(1000 <= uid < 60000 for uid in uids.values()), uids


def next_generation(tree: Path, root: Path) -> None:
    """What booting (or switching to) a new /usr does to the persistent /etc: the new /usr,
    then sysusers, pydeclos-users and tmpfiles, as at boot."""
    shutil.rmtree(root / "usr")
    shutil.copytree(tree / EXTRA / "usr", root / "usr", symlinks=True)
    result = tools.run(["systemd-sysusers", f"--root={root}"])
    assert result.returncode == 0, result.stderr
    tools.add_people(root)


def test_adding_a_user_renumbers_nobody_and_gets_a_normal_id(tmp_path: Path) -> None:
    """alice sorts first: once ids were given in name order at lowering time, adding her
    took bob's uid, and on a running machine sysusers gave her a system one."""
    tools.need("systemd-sysusers")
    first = lower_text(GENERATION_1, tmp_path / "1")
    root = tools.applied_root(first / EXTRA, tmp_path / "root")
    before = {name: fields[2:4] for name, fields in tools.passwd(root).items()}
    assert {before["bob"][0], before["carol"][0]} == {"1000", "1001"}
    next_generation(lower_text(GENERATION_2, tmp_path / "2"), root)
    after = {name: fields[2:4] for name, fields in tools.passwd(root).items()}
    assert (after["bob"], after["carol"]) == (before["bob"], before["carol"])
    assert after["alice"] == ["1002", "1002"], after
    assert int(after["svc"][0]) < 1000
    groups = tools.group(root)
    assert "alice" in groups["bob"][3].split(",") and "carol" in groups["sudo"][3].split(",")
    assert int(groups["alice"][2]) == 1002


def applied_hash(tmp_path: Path, root: Path, mutable: bool) -> str | None:
    """Runs what pydeclos-passwords.service runs, as at one boot; alice's hash after it."""
    tree = lower_text(PASSWORD_SYSTEM % mutable, tmp_path / f"tree-{mutable}")
    unit = (tree / EXTRA / "usr/lib/systemd/system/pydeclos-passwords.service").read_text()
    command = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    shutil.copy(tree / EXTRA / tools.PASSWORDS_SCRIPT, root / tools.PASSWORDS_SCRIPT)
    result = tools.apply_passwords(root, command.split()[1:])
    assert result.returncode == 0, result.stderr  # never fails the boot
    return tools.shadow(root).get("alice")


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    tools.need("systemd-sysusers", "chpasswd")
    if os.geteuid() != 0:
        unavailable("needs root: chpasswd --root chroots")
    tree = lower_text(PASSWORD_SYSTEM % True, tmp_path / "tree")
    return tools.applied_root(tree / EXTRA, tmp_path / "root")


def passwd(root: Path, hashed: str) -> None:
    """What `passwd` on the machine does to alice's entry."""
    result = tools.run(["chpasswd", f"--root={root}", "--encrypted"], input=f"alice:{hashed}\n")
    assert result.returncode == 0, result.stderr


def set_hash(root: Path, hashed: str) -> None:
    (root / HASH_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / HASH_FILE).write_text(hashed + "\n")


def test_a_changed_password_hash_file_is_applied_once(machine: Path, tmp_path: Path) -> None:
    """users.mutable: the file's hash is applied when it changes, and a passwd on the
    machine is kept otherwise; a missing file leaves the password and does not fail."""
    assert applied_hash(tmp_path, machine, True) == "!*"  # missing: unchanged, sysusers' lock
    set_hash(machine, HASH_1)
    assert applied_hash(tmp_path, machine, True) == HASH_1
    passwd(machine, HASH_2)
    assert applied_hash(tmp_path, machine, True) == HASH_2  # the file did not change: kept
    set_hash(machine, HASH_3)
    assert applied_hash(tmp_path, machine, True) == HASH_3  # it changed: applied again
    (machine / HASH_FILE).unlink()
    assert applied_hash(tmp_path, machine, True) == HASH_3


def test_immutable_users_get_the_file_hash_back_or_are_locked(machine: Path,
                                                              tmp_path: Path) -> None:
    set_hash(machine, HASH_1)
    assert applied_hash(tmp_path, machine, False) == HASH_1
    passwd(machine, HASH_2)
    assert applied_hash(tmp_path, machine, False) == HASH_1  # every boot: back to the file
    (machine / HASH_FILE).write_text("hunter2 with spaces\n")
    assert applied_hash(tmp_path, machine, False) == "!*"  # not a hash: locked, not set
    (machine / HASH_FILE).unlink()
    assert applied_hash(tmp_path, machine, False) == "!*"


GECOS_SYSTEM = """\
def config(cfg):
    return {"users": {"users": {"ops": {"is_system_user": True,
                                        "description": "100% uptime, %a and %% kept"}}}}
"""


def test_a_full_name_with_percent_signs_reaches_passwd_as_declared(tmp_path: Path) -> None:
    """sysusers expands %-specifiers in the GECOS field; pydeclos escapes them."""
    tools.need("systemd-sysusers")
    tree = lower_text(GECOS_SYSTEM, tmp_path)
    root = tools.applied_root(tree / EXTRA, tmp_path / "root")
    assert tools.passwd(root)["ops"][4] == "100% uptime, %a and %% kept"


COLON_SYSTEM = """\
def config(cfg):
    return {"users": {"users": {"bob": {
        "is_normal_user": True, "FIELD": "/home/b:ob"}}}}
"""


@pytest.mark.parametrize("field", ["home", "shell"])
def test_a_colon_in_a_passwd_path_is_refused_at_the_users_line(field: str, tmp_path: Path) -> None:
    system = tmp_path / "system.py"
    system.write_text(COLON_SYSTEM.replace("FIELD", field))
    result = CliRunner().invoke(main, ["lower", str(system), "-o", str(tmp_path / "tree")])
    assert result.exit_code == 1
    assert f"users.users.bob.{field}" in result.output and "system.py:3" in result.output
    assert "separates /etc/passwd fields" in result.output
    assert not (tmp_path / "tree").exists()
