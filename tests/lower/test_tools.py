"""The generated files, checked by the tools that will read them.

mkosi must parse mkosi.conf into what the configuration meant, systemd must accept every
unit, sysusers and tmpfiles must create the users, homes and /etc links, nft must load the
firewall, and systemd-repart must build the partition layout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from pydeclos.lower import lower
from pydeclos.lower.etc import etc_entries
from pydeclos.lower.etcfiles import EtcLink
from pydeclos.lower.mkosi_conf import kernel_command_line, packages
from tests.conftest import unavailable
from tests.lower import tools
from tests.lower.configs import config, rich_config

CONFIGS = {
    "default": config,
    "rich": rich_config,
    "root-layout": lambda: config({"image": {"layout": "root", "id": "my_os", "version": 3}}),
}


@pytest.fixture(params=sorted(CONFIGS))
def lowered(request, tmp_path: Path) -> tuple[dict, Path]:
    cfg = CONFIGS[request.param]()
    return cfg, tools.write(lower(cfg), tmp_path / "tree")


def test_mkosi_parses_what_we_meant(lowered) -> None:
    tools.need("mkosi")
    cfg, tree = lowered
    summary = tools.mkosi_summary(tree)
    assert summary["Distribution"] == cfg["image"]["distribution"]
    assert summary["Release"] == cfg["image"]["release"]
    assert summary["ImageId"] == cfg["image"]["id"]
    assert summary["ImageVersion"] == str(cfg["image"]["version"])
    assert summary["Packages"] == packages(cfg)
    assert summary["KernelCommandLine"] == kernel_command_line(cfg)
    assert summary["Format"] == "disk"
    assert summary["Bootable"] == "enabled"
    assert summary["Bootloader"] == "systemd-boot"
    assert summary["SplitArtifacts"] is True
    assert summary["UnifiedKernelImageFormat"] == f"{cfg['image']['id']}_{cfg['image']['version']}"
    assert summary["WithDocs"] is cfg["image"]["with_docs"]
    assert summary["CleanPackageMetadata"] == "disabled"
    assert summary["RemovePackages"] == cfg["packages_removed"]
    assert [Path(t["Source"]) for t in summary["PackageManagerTrees"]] == [tree / "mkosi.sandbox"]
    assert {Path(d) for d in summary["RepartDirectories"]} == {tree / "mkosi.repart"}
    assert tree / "mkosi.extra" in [Path(t["Source"]) for t in summary["ExtraTrees"]]
    sources = (tree / "mkosi.sandbox/etc/apt/sources.list.d/mkosi.sources").read_text()
    assert f"URIs: {cfg['image']['mirror']}\n" in sources
    assert f"Suites: {cfg['image']['release']} {cfg['image']['release']}-updates\n" in sources


def test_mkosi_sees_a_version_override(tmp_path: Path) -> None:
    tools.need("mkosi")
    tree = tools.write(lower(config({"image": {"version": 42}})), tmp_path / "tree")
    assert tools.mkosi_summary(tree)["ImageVersion"] == "42"


def test_systemd_accepts_every_unit(lowered, tmp_path: Path) -> None:
    tools.need("systemd-analyze")
    cfg, tree = lowered
    units = [u.name for u in tools.unit_files(tree / "mkosi.extra")]
    # Drop-ins are checked through the unit they extend (a template through an instance).
    drop_in_dirs = sorted((tree / "mkosi.extra" / tools.UNIT_DIR).glob("*.d"))
    units += [d.name.removesuffix(".d").replace("@.", "@tty1.") for d in drop_in_dirs]
    if not units:
        assert not cfg["systemd"]["services"] and not cfg["users"]["users"]
        return
    root = tools.verify_root(tree / "mkosi.extra", tmp_path / "root")
    result = tools.run(["systemd-analyze", "verify", f"--root={root}", "--man=no",
                        "--recursive-errors=no", *units])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    ours = [line for line in output.splitlines()
            if any(f"/{u}" in line for u in units) or "pydeclos" in line]
    assert not [line for line in ours if "Unknown" in line or "ignoring" in line], output


def test_sysusers_and_tmpfiles_create_users_homes_and_etc(lowered, tmp_path: Path) -> None:
    tools.need("systemd-sysusers", "systemd-tmpfiles")
    cfg, tree = lowered
    root = tools.applied_root(tree / "mkosi.extra", tmp_path / "root")
    accounts, groups = tools.passwd(root), tools.group(root)
    for name, spec in cfg["users"]["users"].items():
        assert name in accounts
        uid = int(accounts[name][2])
        assert uid >= 1000 if spec["is_normal_user"] else uid < 1000
        if spec["uid"] is not None:
            assert uid == spec["uid"]
        for extra in spec["extra_groups"]:
            assert name in groups[extra][3].split(","), (name, extra)
        if spec["is_normal_user"]:
            home = root / f"home/{name}"
            info = home.stat()
            assert info.st_uid == uid and stat.S_IMODE(info.st_mode) == 0o700
    for path, entry in etc_entries(cfg).items():
        link = root / "etc" / path
        if isinstance(entry, EtcLink):
            assert os.readlink(link) == entry.target
        elif entry.user == "root" and entry.group == "root":
            assert os.readlink(link) == f"/usr/share/pydeclos/etc/{path}"
            assert (root / f"usr/share/pydeclos/etc/{path}").read_bytes() == entry.content
        else:
            info = link.lstat()
            assert stat.S_ISREG(info.st_mode) and link.read_bytes() == entry.content
            assert stat.S_IMODE(info.st_mode) == entry.mode
            assert info.st_gid == int(groups[entry.group][2])
    hostname = (root / "usr/share/pydeclos/etc/hostname").read_text()
    assert hostname == f"{cfg['networking']['hostname']}\n"
    passwords = root / "usr/share/pydeclos/passwords"
    if passwords.exists():
        # What pydeclos-passwords.service runs, against the scratch root's shadow file.
        tools.need("chpasswd")
        with passwords.open() as stdin:
            result = tools.run(["chpasswd", f"--root={root}", "--encrypted"], stdin=stdin)
        assert result.returncode == 0, result.stderr
        shadow = {line.split(":")[0]: line.split(":")[1]
                  for line in (root / "etc/shadow").read_text().splitlines()}
        for name, spec in cfg["users"]["users"].items():
            if spec["hashed_password"]:
                assert shadow[name] == spec["hashed_password"]


def test_nft_loads_the_firewall(lowered) -> None:
    """nft accepts the rules even without /etc/protocols (images lack netbase)."""
    tools.need("nft", "unshare")
    if os.geteuid() != 0:
        unavailable("needs root: nft -c and a private mount namespace need root")
    cfg, tree = lowered
    rules = tree / "mkosi.extra/usr/share/pydeclos/etc/nftables.conf"
    hide = "mount --bind /dev/null /etc/protocols && " if Path("/etc/protocols").exists() else ""
    result = tools.run(["unshare", "--mount", "sh", "-c", f'{hide}exec nft -c -f "$0"', rules])
    assert result.returncode == 0, result.stderr
    for port in cfg["networking"]["firewall"]["allowed_tcp_ports"]:
        assert str(port) in rules.read_text()


def test_declared_etc_wins_over_distribution_tmpfiles(lowered, tmp_path: Path) -> None:
    """With the host distribution's tmpfiles.d beside ours, every declared /etc entry is
    still ours (tmpfiles takes the first line for a path, in file-name order)."""
    tools.need("systemd-tmpfiles")
    cfg, tree = lowered
    root = tmp_path / "root"
    tools.applied_root(tree / "mkosi.extra", root)
    for conf in sorted(Path("/usr/lib/tmpfiles.d").glob("*.conf")):
        if not (root / "usr/lib/tmpfiles.d" / conf.name).exists():
            shutil.copy(conf, root / "usr/lib/tmpfiles.d" / conf.name)
    result = tools.run(["systemd-tmpfiles", f"--root={root}", "--create", "--prefix=/etc"])
    assert "pydeclos" not in result.stderr, result.stderr
    for path, entry in etc_entries(cfg).items():
        if isinstance(entry, EtcLink):
            assert os.readlink(root / "etc" / path) == entry.target
        elif entry.user == "root" and entry.group == "root":
            assert os.readlink(root / "etc" / path) == f"/usr/share/pydeclos/etc/{path}"


def _repart(definitions: Path, image: Path, *extra: str | Path) -> list[dict]:
    result = tools.run(["systemd-repart", f"--definitions={definitions}", "--json=short",
                        "--no-pager", "--offline=yes", *extra, image])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_repart_builds_the_ab_layout_and_first_boot_keeps_it(lowered, tmp_path: Path) -> None:
    tools.need("systemd-repart", "mkfs.erofs", "mkfs.vfat", "mkfs.ext4")
    if tools.systemd_version("systemd-repart") < 254:
        unavailable("needs systemd-repart >= 254 (scripts/setup-host installs it)")
    cfg, tree = lowered
    image_id, version = cfg["image"]["id"], cfg["image"]["version"]
    kind = cfg["image"]["layout"]
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
    transfers = sorted((tree / "mkosi.extra/usr/lib/sysupdate.d").iterdir())
    assert transfers[-1].name.startswith("90-uki"), "the UKI must be installed last"
    for transfer in transfers[:-1]:
        sections = _sections(transfer.read_text())
        source = sections["Source"]["MatchPattern"].replace("@v", str(version))
        pattern = re.escape(source).replace("@u", "([0-9a-f]{32}|[0-9a-f-]{36})")
        assert [n for n in split if re.fullmatch(pattern, f"{n}.xz")], (source, split)
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
