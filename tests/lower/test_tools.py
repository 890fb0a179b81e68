"""The generated files, checked by the tools that will read them.

mkosi must parse mkosi.conf into what the configuration meant, systemd must accept every
unit, sysusers and tmpfiles must create the users, homes and /etc links, nft must load the
firewall, and systemd-repart must build the partition layout.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.build.artifacts import slot_kind
from pydeclos.cli import main
from tests.conftest import unavailable
from tests.lower import tools, validators

CASES = Path(__file__).resolve().parent / "tool_cases"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# The examples without a package to install first (shared-library has tests of its own).
EXAMPLE_NAMES = ("minimal", "server")

# What each case declares, as the tools must read it back. Written here from the system
# files in tool_cases/ and the standard library's documented defaults, never computed by
# the code under test.
BASE_PACKAGES = [
    "linux-image-cloud-amd64", "systemd", "systemd-sysv", "systemd-boot", "systemd-boot-efi",
    "systemd-container", "systemd-cryptsetup", "systemd-repart", "udev", "dbus",
    "cryptsetup-bin", "kexec-tools", "util-linux", "mount", "e2fsprogs",
    # pydeclos.on_machine: the pydeclos on the machine runs on Debian's python3
    "python3", "python3-click", "python3-networkx", "python3-typeguard",
    "systemd-resolved",  # networking (resolved), then time (timesyncd), then the firewall
]
DEFAULT_ETC_LINKS = {
    "fstab": "/usr/share/pydeclos/etc/fstab",
    "hostname": "/usr/share/pydeclos/etc/hostname",
    "hosts": "/usr/share/pydeclos/etc/hosts",
    "locale.conf": "/usr/share/pydeclos/etc/locale.conf",
    "localtime": "../usr/share/zoneinfo/UTC",
    "nftables.conf": "/usr/share/pydeclos/etc/nftables.conf",
    "vconsole.conf": "/usr/share/pydeclos/etc/vconsole.conf",
}
# Layout root: relative links, which the initrd resolves under /sysroot (lower/etc.py).
ROOT_LAYOUT_ETC_LINKS = {path: (f"..{target}" if target.startswith("/") else target)
                         for path, target in DEFAULT_ETC_LINKS.items()}
EXPECTED = {
    "empty": {
        "image_id": "pydeclos", "version": "1", "layout": "usr", "hostname": "pydeclos",
        "packages": [*BASE_PACKAGES, "systemd-timesyncd", "nftables"],
        "cmdline": ["console=ttyS0"],
        "normal_users": {}, "system_users": [], "groups": {},
        "etc_links": DEFAULT_ETC_LINKS, "etc_copies": {}, "passwords": {},
        "tcp_ports": [],
    },
    "root-layout": {
        "image_id": "my_os", "version": "3", "layout": "root", "hostname": "pydeclos",
        "packages": [*BASE_PACKAGES, "systemd-timesyncd", "nftables"],
        "cmdline": ["console=ttyS0"],
        "normal_users": {}, "system_users": [], "groups": {},
        "etc_links": ROOT_LAYOUT_ETC_LINKS, "etc_copies": {}, "passwords": {},
        "tcp_ports": [],
    },
    "rich": {
        "image_id": "demo", "version": "7", "layout": "usr", "hostname": "demo",
        # passwd (chpasswd) for alice's hashed_password_file.
        "packages": [*BASE_PACKAGES, "tzdata", "systemd-timesyncd", "passwd", "nftables",
                     "openssh-server"],
        # A list definition replaces the option's default list (console=ttyS0) in NixOS
        # semantics: the system file declares only this parameter.
        "cmdline": ["systemd.show_status=yes"],
        # name -> (uid or None for "any from 1000", extra groups)
        "normal_users": {"alice": (None, ["sudo", "deploy"]), "bob": (1500, [])},
        "system_users": ["svc"], "groups": {"deploy": 2000},
        "etc_links": {
            **DEFAULT_ETC_LINKS,
            "localtime": "../usr/share/zoneinfo/Europe/Berlin",
            "demo/config.ini": "/usr/share/pydeclos/etc/demo/config.ini",
            "profile.d/pydeclos.sh": "/usr/share/pydeclos/etc/profile.d/pydeclos.sh",
        },
        # path -> (content, mode, group): files copied into /etc, not links into /usr
        "etc_copies": {"demo/shared": (b"shared\n", 0o664, "deploy")},
        "passwords": {"alice": ("$6$pydeclossalt1$HOkx0CxQ4r.YzHDg6y0lYJtUudg989rLr.1VLgS41Ny."
                                "qBXcOrWUHx/ad.JIhacYmBB4uAzOAvwnGky0hGyZr0")},
        "tcp_ports": [22, 80],
    },
}
# What sysusers and chpasswd write into /etc themselves.
ACCOUNT_FILES = {f"{name}{suffix}" for name in ("passwd", "group", "shadow", "gshadow")
                 for suffix in ("", "-")} | {".pwd.lock"}
SERVER_KEYS = {f"ssh/authorized_keys.d/{user}": f"/usr/share/pydeclos/etc/ssh/authorized_keys.d/{user}"
               for user in ("alice", "bob")}
EXPECTED |= {
    "minimal": {
        "image_id": "pydeclos", "version": "1", "layout": "usr", "hostname": "minimal",
        "packages": [*BASE_PACKAGES, "systemd-timesyncd", "nftables", "openssh-server"],
        "cmdline": ["console=ttyS0"],
        "normal_users": {"alice": (1000, ["sudo"])}, "system_users": [], "groups": {},
        "etc_links": {
            **DEFAULT_ETC_LINKS,
            "ssh/authorized_keys.d/alice": "/usr/share/pydeclos/etc/ssh/authorized_keys.d/alice",
            "ssh/sshd_config.d/pydeclos.conf": "/usr/share/pydeclos/etc/ssh/sshd_config.d/pydeclos.conf",
        },
        "etc_copies": {}, "passwords": {}, "tcp_ports": [22],
    },
    "server": {
        "image_id": "pydeclos", "version": "1", "layout": "usr", "hostname": "web1",
        "packages": [*BASE_PACKAGES, "tzdata", "systemd-timesyncd", "nftables", "nginx",
                     "openssh-server", "htop", "rsync"],
        "cmdline": ["console=ttyS0"],
        "normal_users": {"alice": (1000, ["sudo", "systemd-journal"]),
                         "bob": (1001, ["deploy", "www-data"])},
        "system_users": [], "groups": {},
        "etc_links": {
            **DEFAULT_ETC_LINKS, **SERVER_KEYS,
            "localtime": "../usr/share/zoneinfo/Europe/Berlin",
            "nginx/conf.d/pydeclos.conf": "/usr/share/pydeclos/etc/nginx/conf.d/pydeclos.conf",
            "nginx/sites-enabled/default":
                "/usr/share/pydeclos/etc/nginx/sites-enabled/default",
            "ssh/sshd_config.d/pydeclos.conf": "/usr/share/pydeclos/etc/ssh/sshd_config.d/pydeclos.conf",
        },
        "etc_copies": {}, "passwords": {}, "tcp_ports": [22, 80],
    },
}
# Values `sshd -T` prints under another of their names.
SSHD_ALIASES = {"prohibit-password": "without-password"}
ETC_CONTENT = {"minimal": {"hostname": b"minimal\n"}, "server": {"hostname": b"web1\n"},
               "rich": {"demo/config.ini": b"[main]\nvalue = 1\n", "hostname": b"demo\n"},
               "empty": {"hostname": b"pydeclos\n"}, "root-layout": {"hostname": b"pydeclos\n"}}


@pytest.fixture(params=sorted(EXPECTED))
def lowered(request, tmp_path: Path) -> tuple[dict, Path]:
    tree = tmp_path / "tree"
    directory = EXAMPLES if request.param in EXAMPLE_NAMES else CASES
    result = CliRunner().invoke(main, ["lower", str(directory / request.param / "system.py"),
                                       "-o", str(tree)])
    assert result.exit_code == 0, result.output
    return {"name": request.param, **EXPECTED[request.param]}, tree


def test_every_case_has_expectations() -> None:
    cases = [p.name for p in CASES.iterdir() if (p / "system.py").exists()]
    assert sorted([*cases, *EXAMPLE_NAMES]) == sorted(EXPECTED)


def test_mkosi_parses_what_we_meant(lowered) -> None:
    tools.need("mkosi")
    expected, tree = lowered
    summary = tools.mkosi_summary(tree)
    assert summary["Distribution"] == "debian"
    assert summary["Release"] == "trixie"
    assert summary["ImageId"] == expected["image_id"]
    assert summary["ImageVersion"] == expected["version"]
    assert summary["Packages"] == expected["packages"]
    assert summary["KernelCommandLine"] == expected["cmdline"]
    assert summary["Format"] == "disk"
    assert summary["Bootable"] == "enabled"
    assert summary["Bootloader"] == "systemd-boot"
    assert summary["SplitArtifacts"] is True
    assert summary["UnifiedKernelImageFormat"] == f"{expected['image_id']}_{expected['version']}"
    assert summary["WithDocs"] is False
    assert summary["CleanPackageMetadata"] == "disabled"
    assert summary["RemovePackages"] == []
    assert [Path(t["Source"]) for t in summary["PackageManagerTrees"]] == [tree / "mkosi.sandbox"]
    assert {Path(d) for d in summary["RepartDirectories"]} == {tree / "mkosi.repart"}
    assert tree / "mkosi.extra" in [Path(t["Source"]) for t in summary["ExtraTrees"]]
    sources = (tree / "mkosi.sandbox/etc/apt/sources.list.d/mkosi.sources").read_text()
    assert "URIs: http://deb.debian.org/debian\n" in sources
    assert "Suites: trixie trixie-updates\n" in sources
    assert "URIs: http://deb.debian.org/debian-security\n" in sources
    assert "Suites: trixie-security\n" in sources


def test_mkosi_sees_a_version_override(tmp_path: Path) -> None:
    tools.need("mkosi")
    tree = tmp_path / "tree"
    result = CliRunner().invoke(main, ["lower", str(CASES / "empty" / "system.py"),
                                       "-o", str(tree), "--version", "42"])
    assert result.exit_code == 0, result.output
    assert tools.mkosi_summary(tree)["ImageVersion"] == "42"


def test_systemd_accepts_every_unit(lowered, tmp_path: Path) -> None:
    expected, tree = lowered
    # Drop-ins are checked through the unit they extend (a template through an instance).
    assert validators.unit_names(tree), "every case has units (at least the defaults' ones)"
    assert validators.units(tree, tmp_path) is None


def test_sysusers_and_tmpfiles_create_users_homes_and_etc(lowered, tmp_path: Path) -> None:
    tools.need("systemd-sysusers", "systemd-tmpfiles")
    expected, tree = lowered
    root = tools.applied_root(tree / "mkosi.extra", tmp_path / "root")
    accounts, groups = tools.passwd(root), tools.group(root)
    for name, gid in expected["groups"].items():
        assert int(groups[name][2]) == gid
    for name in expected["system_users"]:
        assert int(accounts[name][2]) < 1000
    for name, (wanted_uid, extra_groups) in expected["normal_users"].items():
        uid = int(accounts[name][2])
        assert uid == wanted_uid if wanted_uid is not None else uid >= 1000
        assert accounts[name][5:] == [f"/home/{name}", "/bin/bash"]
        for extra in extra_groups:
            assert name in groups[extra][3].split(","), (name, extra)
        info = (root / f"home/{name}").stat()
        assert info.st_uid == uid and stat.S_IMODE(info.st_mode) == 0o700
    ours = {name for name, fields in accounts.items() if name not in ("root", "nobody")}
    assert ours == set(expected["normal_users"]) | set(expected["system_users"])
    for path, target in expected["etc_links"].items():
        assert os.readlink(root / "etc" / path) == target, path
    for path, content in ETC_CONTENT[expected["name"]].items():
        target = expected["etc_links"][path]  # read it inside the scratch root
        where = posixpath.normpath(posixpath.join(posixpath.dirname(f"etc/{path}"), target))
        assert (root / where.lstrip("/")).read_bytes() == content
    for path, (content, mode, group_name) in expected["etc_copies"].items():
        info = (root / "etc" / path).lstat()
        assert stat.S_ISREG(info.st_mode) and (root / "etc" / path).read_bytes() == content
        assert stat.S_IMODE(info.st_mode) == mode
        assert info.st_gid == int(groups[group_name][2])
    managed = {str(p.relative_to(root / "etc")) for p in (root / "etc").rglob("*")
               if p.is_symlink() or (p.is_file() and p.name not in ACCOUNT_FILES)}
    assert managed == set(expected["etc_links"]) | set(expected["etc_copies"])
    unit = tree / "mkosi.extra" / tools.UNIT_DIR / "pydeclos-passwords.service"
    assert unit.exists() == bool(expected["passwords"])
    if unit.exists():
        # The hash files exist only on the machine: write them into the scratch root, then
        # run what pydeclos-passwords.service runs against its shadow file.
        tools.need("chpasswd")
        command = next(line for line in unit.read_text().splitlines()
                       if line.startswith("ExecStart="))
        arguments = command.split()[1:]
        for name, hashed in expected["passwords"].items():
            file = next(a.split(":", 1)[1] for a in arguments if a.startswith(f"{name}:"))
            (root / file.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (root / file.lstrip("/")).write_text(hashed + "\n")
        result = tools.apply_passwords(root, arguments)
        assert result.returncode == 0, result.stderr
        shadow = tools.shadow(root)
        for name, hashed in expected["passwords"].items():
            assert shadow[name] == hashed


def test_nft_loads_the_firewall(lowered) -> None:
    """nft accepts the rules even without /etc/protocols (images lack netbase)."""
    expected, tree = lowered
    rules = tree / validators.NFT_CONF
    assert validators.nft(rules) is None
    for port in expected["tcp_ports"]:
        assert str(port) in rules.read_text()


def test_networkd_parses_every_network_file(lowered) -> None:
    """systemd-networkd itself loads the .network files and complains about none of them."""
    _, tree = lowered
    network_dir = tree / validators.NETWORK_DIR
    assert sorted(network_dir.glob("*.network")), "the default DHCP file at least"
    assert validators.networkd(network_dir) is None


def test_networkd_check_sees_what_networkd_ignores(tmp_path: Path) -> None:
    (tmp_path / "10-bad.network").write_text("[Match]\nName=x\n[Network]\nAddres=192.0.2.1/24\n"
                                             "DHCP=maybe\n")
    problem = validators.networkd(tmp_path) or ""
    assert "10-bad.network:4: Unknown key 'Addres'" in problem
    assert "10-bad.network:5: Failed to parse DHCP" in problem


def test_nginx_accepts_the_virtual_hosts(lowered, tmp_path: Path) -> None:
    """`nginx -t` on the generated conf.d and sites-enabled files, included as Debian's
    nginx.conf does."""
    expected, tree = lowered
    conf = tree / validators.NGINX_CONF
    if "nginx" not in expected["packages"]:
        assert not conf.exists()
        return
    assert validators.nginx(validators.nginx_includes(tree, tmp_path), tmp_path) is None


def test_sshd_accepts_the_settings(lowered, tmp_path: Path) -> None:
    """`sshd -t` on a main sshd_config that includes ours, as Debian's does."""
    expected, tree = lowered
    conf = tree / validators.SSHD_CONF
    if not conf.exists():  # services.openssh off (the package may still be installed)
        return
    assert validators.sshd(conf, tmp_path) is None
    effective = validators.sshd_effective(conf, tmp_path)
    for line in conf.read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split(" ", 1)
            word = SSHD_ALIASES.get(value.split()[0].lower(), value.split()[0].lower())
            assert word in effective.get(key.lower(), []), (line, effective)


def test_declared_etc_wins_over_distribution_tmpfiles(lowered, tmp_path: Path) -> None:
    """With the host distribution's tmpfiles.d beside ours, every declared /etc entry is
    still ours (tmpfiles takes the first line for a path, in file-name order)."""
    tools.need("systemd-tmpfiles")
    expected, tree = lowered
    root = tmp_path / "root"
    tools.applied_root(tree / "mkosi.extra", root)
    for conf in sorted(Path("/usr/lib/tmpfiles.d").glob("*.conf")):
        if not (root / "usr/lib/tmpfiles.d" / conf.name).exists():
            shutil.copy(conf, root / "usr/lib/tmpfiles.d" / conf.name)
    result = tools.run(["systemd-tmpfiles", f"--root={root}", "--create", "--prefix=/etc"])
    assert "pydeclos" not in result.stderr, result.stderr
    for path, target in expected["etc_links"].items():
        assert os.readlink(root / "etc" / path) == target, path


def _repart(definitions: Path, image: Path, *extra: str | Path) -> list[dict]:
    result = tools.run(["systemd-repart", f"--definitions={definitions}", "--json=short",
                        "--no-pager", "--offline=yes", *extra, image])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_repart_builds_the_ab_layout_and_first_boot_keeps_it(lowered, tmp_path: Path) -> None:
    tools.need("systemd-repart", "mkfs.erofs", "mkfs.vfat", "mkfs.ext4")
    if tools.systemd_version("systemd-repart") < 254:
        unavailable("needs systemd-repart >= 254 (scripts/setup-host installs it)")
    expected, tree = lowered
    image_id, version = expected["image_id"], expected["version"]
    kind = expected["layout"]
    source = tmp_path / "root"
    for directory in ("usr/lib", "boot", "efi", "var", "home"):
        (source / directory).mkdir(parents=True)
    (source / "usr/lib/os-release").write_text(f"ID=debian\nIMAGE_VERSION={version}\n")
    image = tmp_path / f"{image_id}_{version}.raw"  # the name mkosi gives the disk image
    parts = _repart(tree / "mkosi.repart", image, "--dry-run=no", "--empty=create",
                    "--size=auto", "--split=yes", f"--root={source}")
    by_label = {(p["type"], p["label"]): p for p in parts}
    data = by_label[(f"{kind}-x86-64", f"{image_id}_{version}")]
    hash_ = by_label[(f"{kind}-x86-64-verity", f"{image_id}_{version}_verity")]
    # The slot UUIDs are the verity root hash, which mkosi puts on the kernel command line.
    assert (data["uuid"] + hash_["uuid"]).replace("-", "") == data["roothash"]
    assert (f"{kind}-x86-64", "_empty") in by_label
    assert (f"{kind}-x86-64-verity", "_empty") in by_label
    assert data["raw_size"] == by_label[(f"{kind}-x86-64", "_empty")]["raw_size"]
    first_boot = _repart(tree / "mkosi.extra/usr/lib/repart.d", image, "--dry-run=yes")
    assert len(first_boot) == len(parts)
    assert {p["activity"] for p in first_boot} == {"unchanged"}

    # sysupdate must find the split artifacts (once xz-compressed) and the slot labels.
    split = sorted(p.name for p in tmp_path.glob(f"{image_id}_{version}.*.raw"))
    assert len(split) == 2, split
    # The build's artifact code names the slot kind the same way (`.root.` on layout root).
    assert slot_kind(tmp_path, f"{image_id}_{version}") == kind
    # 4 KiB verity blocks where systemd-repart reads the setting (255 on); 254 keeps 512.
    verity_file = next(tmp_path.glob(f"{image_id}_{version}.{kind}-verity.*.raw"))
    dump = tools.run(["veritysetup", "dump", verity_file]).stdout
    block = 4096 if tools.systemd_version("systemd-repart") >= 255 else 512
    assert re.search(rf"Data block size:\s*{block}\n", dump), dump
    assert re.search(rf"Hash block size:\s*{block}\n", dump), dump
    transfers = sorted((tree / "mkosi.extra/usr/lib/sysupdate.d").iterdir())
    assert transfers[-1].name.startswith("90-uki"), "the UKI must be installed last"
    for transfer in transfers[:-1]:
        sections = _sections(transfer.read_text())
        # The build's xz'd file; on a local source also the plain .raw `switch` rebuilds
        # from deltas (the first pattern is the .xz one).
        patterns = sections["Source"]["MatchPattern"].replace("@v", str(version)).split()
        assert [p.endswith(".raw.xz") for p in patterns] == [True, False], patterns
        for source, suffix in zip(patterns, (".xz", ""), strict=True):
            pattern = re.escape(source).replace("@u", "([0-9a-f]{32}|[0-9a-f-]{36})")
            assert [n for n in split if re.fullmatch(pattern, f"{n}{suffix}")], (source, split)
        target = sections["Target"]
        label = target["MatchPattern"].replace("@v", str(version))
        kind_of_slot = target["MatchPartitionType"]  # "usr" or "usr-verity": arch-less names
        gpt = kind_of_slot.replace("-verity", "-x86-64-verity") if "verity" in kind_of_slot \
            else f"{kind_of_slot}-x86-64"
        assert (gpt, label) in by_label


def _sections(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            current[key] = value
    return sections
