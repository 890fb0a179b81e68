"""What each option family turns into, as a user of the built image would notice it.

Every configuration here is a real system file evaluated with the standard library."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pydeclos.errors import PydeclosError
from pydeclos.lower import File, FileTree, Symlink, check_public_usr, lower
from pydeclos.lower.errors import MissingSource
from pydeclos.lower.sysupdate import suffix_for
from tests.lower.cases import evaluate_case
from tests.lower.cases import evaluate_definitions as config


def rich_config() -> dict[str, Any]:
    return evaluate_case("rich")

EXTRA = "mkosi.extra"
UNITS = f"{EXTRA}/usr/lib/systemd/system"


def text(tree, path: str) -> str:
    entry = tree[path]
    assert isinstance(entry, File), path
    return entry.content.decode()


def test_normal_users_without_uid_are_allocated_on_the_machine_not_in_name_order() -> None:
    tree = lower(config({"users": {"users": {
        "carol": dict(is_normal_user=True), "alice": dict(is_normal_user=True, uid=1000),
        "bob": dict(is_normal_user=True, extra_groups=["sudo"]),
        "daemon1": dict(is_system_user=True)}}}))
    lines = text(tree, f"{EXTRA}/usr/lib/sysusers.d/pydeclos.conf").splitlines()
    assert "u alice 1000 - /home/alice /bin/bash" in lines
    assert "u daemon1 -:nogroup - / /usr/sbin/nologin" in lines
    assert not [line for line in lines if " bob " in line or " carol " in line], lines
    people = text(tree, f"{EXTRA}/usr/lib/pydeclos/sysusers-people.conf").splitlines()
    assert "u bob - - /home/bob /bin/bash" in people
    assert "u carol - - /home/carol /bin/bash" in people
    assert "m bob sudo" in people
    unit = text(tree, f"{UNITS}/pydeclos-users.service")
    assert "ExecStart=/usr/lib/pydeclos/add-people /usr/lib/pydeclos/sysusers-people.conf" in unit
    assert "Before=systemd-tmpfiles-setup.service" in unit
    homes = text(tree, f"{EXTRA}/usr/lib/tmpfiles.d/pydeclos-settings.conf")
    assert "d /home/bob 0700 bob bob -" in homes
    assert "daemon1" not in homes


def test_password_files_are_named_never_read_and_applied_by_a_unit() -> None:
    tree = lower(config({"users": {"users": {"alice": dict(
        is_normal_user=True, hashed_password_file="/etc/credstore/alice.hash")}}}))
    unit = text(tree, f"{UNITS}/pydeclos-passwords.service")
    assert "ExecStart=/usr/lib/pydeclos/apply-passwords alice:/etc/credstore/alice.hash" in unit
    assert tree[f"{UNITS}/multi-user.target.wants/pydeclos-passwords.service"] == \
        Symlink("../pydeclos-passwords.service")
    script = tree[f"{EXTRA}/usr/lib/pydeclos/apply-passwords"]
    assert isinstance(script, File) and script.mode == 0o755
    assert f"{EXTRA}/usr/share/pydeclos/passwords" not in tree


def test_immutable_users_get_their_hashes_back_at_every_boot() -> None:
    tree = lower(config({"users": {"mutable": False, "users": {
        "alice": dict(is_normal_user=True, hashed_password_file="/etc/credstore/alice"),
        "bob": dict(is_normal_user=True)}}}))
    assert "ExecStart=/usr/lib/pydeclos/apply-passwords --every-boot " \
        "alice:/etc/credstore/alice bob:" in text(tree, f"{UNITS}/pydeclos-passwords.service")
    mutable = lower(config({"users": {"users": {"bob": dict(is_normal_user=True)}}}))
    assert f"{UNITS}/pydeclos-passwords.service" not in mutable


def test_nothing_private_is_shipped_in_usr() -> None:
    """/usr is public in every update: every file there is world-readable (the lowering
    guard refuses the rest), whatever the rich case declares."""
    tree = lower(rich_config())
    private = [p for p, e in tree.items()
               if p.startswith(f"{EXTRA}/usr/") and isinstance(e, File) and not e.mode & 0o004]
    assert private == []


def test_units_are_static_and_disabled_ones_absent() -> None:
    tree = lower(rich_config())
    assert "[Install]" not in text(tree, f"{UNITS}/hello.service")
    assert tree[f"{UNITS}/multi-user.target.wants/hello.service"] == Symlink("../hello.service")
    assert tree[f"{UNITS}/timers.target.wants/hello.timer"] == Symlink("../hello.timer")
    assert tree[f"{UNITS}/local-fs.target.wants/srv-cache.mount"] == Symlink("../srv-cache.mount")
    assert f"{UNITS}/off.service" not in tree
    assert tree[f"{UNITS}/getty@tty2.service"] == Symlink("/dev/null")


def test_restart_triggers_change_the_unit_text() -> None:
    def unit(triggers: list[str]) -> str:
        cfg = config({"systemd": {"services": {"app": dict(exec_start=["/bin/app"],
                                                                 restart_triggers=triggers)}}})
        return text(lower(cfg), f"{UNITS}/app.service")

    assert unit(["config v1"]) != unit(["config v2"])
    assert "X-Restart-Triggers=" in unit(["config v1"])


def test_environment_values_are_quoted_for_systemd() -> None:
    tree = lower(config({"systemd": {"services": {"app": dict(
        exec_start=["/bin/app"], environment={"MSG": 'say "hi" at 100% \\o/'})}}}))
    assert 'Environment="MSG=say \\"hi\\" at 100%% \\\\o/"' in text(tree, f"{UNITS}/app.service")


def test_etc_entries_link_into_usr_and_foreign_owners_are_copied() -> None:
    tree = lower(rich_config())
    lines = text(tree, f"{EXTRA}/usr/lib/tmpfiles.d/00-pydeclos-etc.conf").splitlines()
    assert ("L+ /etc/demo/config.ini - - - - /usr/share/pydeclos/etc/demo/config.ini"
            in lines)
    assert "C+ /etc/demo/shared - - - - /usr/share/pydeclos/etc/demo/shared" in lines
    assert "z /etc/demo/shared 0664 root deploy -" in lines
    shared = tree[f"{EXTRA}/usr/share/pydeclos/etc/demo/shared"]
    assert isinstance(shared, File) and shared.mode == 0o664
    assert "L+ /etc/localtime - - - - ../usr/share/zoneinfo/Europe/Berlin" in lines


def test_etc_source_is_read_from_the_build_host(tmp_path: Path) -> None:
    source = tmp_path / "motd"
    source.write_bytes(b"welcome\n")
    tree = lower(config({"environment": {"etc": {"motd": dict(source=str(source))}}}))
    assert text(tree, f"{EXTRA}/usr/share/pydeclos/etc/motd") == "welcome\n"
    with pytest.raises(MissingSource, match="environment.etc.motd.source"):
        lower(config({"environment": {"etc": {"motd": dict(source=str(tmp_path / "gone"))}}}))


def test_declared_interfaces_win_over_the_dhcp_catch_all() -> None:
    tree = lower(rich_config())
    network = sorted(p for p in tree if p.startswith(f"{EXTRA}/usr/lib/systemd/network/"))
    assert [Path(p).name for p in network] == ["10-wan.network", "50-pydeclos-eth1.network",
                                                "90-pydeclos-dhcp.network"]
    assert "Address=192.0.2.10/24" in text(tree, network[1])
    wait_online = f"{UNITS}/systemd-networkd-wait-online.service.d/50-pydeclos.conf"
    assert "ExecStart=/usr/lib/systemd/systemd-networkd-wait-online --any" in \
        text(tree, wait_online)
    no_dhcp = lower(config({"networking": {"use_dhcp": False}}))
    assert not [p for p in no_dhcp if "/network/" in p or p == wait_online]


def test_presets_follow_the_options_that_own_the_services() -> None:
    tree = lower(config({"time": {"ntp": {"enable": False}},
                         "networking": {"firewall": {"enable": False}},
                         "systemd": {"enabled": ["ssh.service"]}}))
    preset = text(tree, f"{EXTRA}/usr/lib/systemd/system-preset/50-pydeclos.preset")
    assert "enable ssh.service" in preset
    assert "disable systemd-timesyncd.service" in preset
    assert "disable nftables.service" in preset
    assert f"{EXTRA}/usr/share/pydeclos/etc/nftables.conf" not in tree


def test_sysupdate_names_follow_the_systemd_version_of_the_release() -> None:
    trixie = [p for p in lower(config()) if "/sysupdate.d/" in p]
    assert [Path(p).name for p in trixie] == ["10-usr.transfer", "11-usr-verity.transfer",
                                              "90-uki.transfer"]
    assert (suffix_for(256), suffix_for(257), suffix_for(258)) == (
        ".conf", ".transfer", ".transfer")
    with pytest.raises(PydeclosError, match=r"(?s)image.release.*bookworm"):
        config({"image": {"release": "bookworm"}})
    forky = [p for p in lower(config({"image": {"release": "forky"}})) if "/sysupdate.d/" in p]
    assert [Path(p).name for p in forky] == [Path(p).name for p in trixie]
    uki = text(lower(config()), f"{EXTRA}/usr/lib/sysupdate.d/90-uki.transfer")
    assert "TriesLeft=3" in uki and "pydeclos_@v+@l-@d.efi" in uki


def test_root_layout_puts_the_whole_root_in_the_slots() -> None:
    tree = lower(config({"image": {"layout": "root", "id": "box"}}))
    slot = text(tree, "mkosi.repart/10-root.conf")
    assert "CopyFiles=/:/" in slot and "Verity=data" in slot and "Label=box_%A" in slot
    assert "mkosi.repart/30-root.conf" not in tree
    assert "Type=var" in text(tree, "mkosi.repart/30-var.conf")
    fstab = text(tree, f"{EXTRA}/usr/share/pydeclos/etc/fstab")
    assert "PARTLABEL=box-var\t/var\text4\tdefaults,x-initrd.mount\t" in fstab
    assert "PARTLABEL=box-home\t/home\text4\tdefaults\t" in fstab


def test_root_layout_mounts_etc_as_an_overlay_over_the_slot_from_the_initrd(
        tmp_path: Path) -> None:
    """The initrd mounts /var, then /etc: the slot's /etc below, the machine's changes on
    /var above; it reads the fstab as /sysroot/etc/fstab, so the /etc links are relative.
    The overlay's directories are the booted generation's own, through the slot's link."""
    tree = lower(config({"image": {"layout": "root", "id": "box"}, "file_systems": {
        "/srv/scratch": {"device": "tmpfs", "fs_type": "tmpfs"}}}))
    fstab = text(tree, f"{EXTRA}/usr/share/pydeclos/etc/fstab").splitlines()
    etc = next(line.split("\t") for line in fstab if "\t/etc\t" in line)
    options = etc[3].split(",")
    assert etc[:3] == ["overlay", "/etc", "overlay"] and "x-initrd.mount" in options
    assert {"lowerdir=/sysroot/etc", "x-systemd.requires-mounts-for=/sysroot/var"} <= \
        set(options)
    dirs = dict(o.split("=", 1) for o in options if o.startswith(("upperdir=", "workdir=")))
    assert [line.split("\t")[1] for line in fstab[1:4]] == ["/var", "/etc", "/home"]
    links = text(tree, f"{EXTRA}/usr/lib/tmpfiles.d/00-pydeclos-etc.conf")
    assert "L+ /etc/fstab - - - - ../usr/share/pydeclos/etc/fstab\n" in links
    postinst = text(tree, "mkosi.postinst")
    assert 'rm -f "$BUILDROOT"/etc/ssh/ssh_host_*_key' in postinst  # no secret in the slot
    # Its root-layout part, run as mkosi runs it for generation 3 (the part before needs
    # the image's tools): the overlay's directories resolve, from /sysroot, to generation
    # 3's own on /var.
    part = postinst[postinst.index('rm -f "$BUILDROOT"/etc/ssh'):]
    subprocess.run(["sh", "-eu", "-c", part], check=True,
                   env={"BUILDROOT": str(tmp_path), "IMAGE_VERSION": "3", "PATH": "/usr/bin:/bin"})
    for key in ("upperdir", "workdir"):
        found = (tmp_path / dirs[key].removeprefix("/sysroot/")).resolve()
        assert found == tmp_path / "var/lib/pydeclos/etc/3" / key.removesuffix("dir")
        assert found.is_dir()
    # The read-only root gets its mount points at build time, with no mode to impose.
    settings = text(tree, f"{EXTRA}/usr/lib/tmpfiles.d/pydeclos-settings.conf")
    assert "d /srv/scratch - - - -\n" in settings


def test_usr_layout_keeps_absolute_etc_links_and_makes_no_overlay() -> None:
    tree = lower(config({"file_systems": {"/srv/scratch": {"device": "tmpfs",
                                                           "fs_type": "tmpfs"}}}))
    links = text(tree, f"{EXTRA}/usr/lib/tmpfiles.d/00-pydeclos-etc.conf")
    assert "L+ /etc/fstab - - - - /usr/share/pydeclos/etc/fstab\n" in links
    assert "overlay" not in text(tree, f"{EXTRA}/usr/share/pydeclos/etc/fstab")
    assert "BUILDROOT\"/var" not in text(tree, "mkosi.postinst")
    settings = f"{EXTRA}/usr/lib/tmpfiles.d/pydeclos-settings.conf"
    assert settings not in tree or "/srv/scratch" not in text(tree, settings)


def test_packages_removed_become_remove_packages() -> None:
    conf = text(lower(config({"packages_removed": ["vim-tiny"]})), "mkosi.conf")
    assert "RemovePackages=vim-tiny\n" in conf


def test_manifest_describes_the_generation_and_tracks_the_config() -> None:
    one = json.loads(text(lower(rich_config()), f"{EXTRA}/usr/share/pydeclos/generation.json"))
    assert one["version"] == 7 and one["image_id"] == "demo"
    assert "openssh-server" in one["packages"]
    assert one["kernel_command_line"] == ["systemd.show_status=yes"]
    assert set(one["units"]) >= {"hello.service", "hello.timer", "srv-cache.mount",
                                 "getty@.service.d/10-demo.conf", "pydeclos-passwords.service"}
    assert one["etc"]["hostname"]["sha256"]
    assert one["restart_triggers"]["hello.service"]
    assert one["presets"][:3] == ["disable apt-daily.timer", "enable nftables.service",
                                 "enable ssh.service"]
    changed = config({"networking": {"hostname": "other"}, "image": {"version": 7, "id": "demo"}})
    two = json.loads(text(lower(changed), f"{EXTRA}/usr/share/pydeclos/generation.json"))
    assert two["config_sha256"] != one["config_sha256"]
    assert two["etc"]["hostname"] != one["etc"]["hostname"]
    assert two["units"]["systemd-networkd-wait-online.service.d/50-pydeclos.conf"] == \
        one["units"]["systemd-networkd-wait-online.service.d/50-pydeclos.conf"]


def test_the_lowering_guard_refuses_a_private_file_in_usr() -> None:
    """The types refuse private modes at the user's line; should a module still render one,
    lowering stops instead of shipping it in the public /usr."""
    tree = FileTree({f"{EXTRA}/usr/share/app/key": File(b"s3cret", 0o600),
                     "mkosi.conf": File(b"", 0o600)})
    with pytest.raises(ValueError, match="usr/share/app/key.*public /usr"):
        check_public_usr(tree)
    check_public_usr(FileTree({"mkosi.conf": File(b"", 0o600)}))


def test_every_digest_in_the_manifest_is_of_public_content() -> None:
    """generation.json's plain sha256 per /etc file leaks nothing only if that content is
    itself public in /usr: check it for every entry kind of the rich case."""
    tree = lower(rich_config())
    manifest = json.loads(text(tree, f"{EXTRA}/usr/share/pydeclos/generation.json"))
    kinds = set()
    for path, entry in manifest["etc"].items():
        if "link" in entry:
            kinds.add("link")
            continue
        stored = tree[f"{EXTRA}/usr/share/pydeclos/etc/{path}"]
        assert isinstance(stored, File) and stored.mode & 0o004, path
        assert hashlib.sha256(stored.content).hexdigest() == entry["sha256"]
        kinds.add("copy" if entry["user"] != "root" or entry["group"] != "root" else "file")
    assert kinds == {"link", "copy", "file"}
    for unit, digest in manifest["units"].items():
        stored = tree[f"{UNITS}/{unit}"]
        assert isinstance(stored, File) and stored.mode & 0o004
        assert hashlib.sha256(stored.content).hexdigest() == digest
