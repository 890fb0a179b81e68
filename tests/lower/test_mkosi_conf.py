"""What goes into the UKI and what the image skips at boot: mkosi.conf, presets, mkosi.postinst."""

from __future__ import annotations

import re
import subprocess

from pydeclos.lower import File, lower
from pydeclos.lower.presets import PRESET
from tests.lower.cases import evaluate_definitions as config


def text(tree, path: str) -> str:
    entry = tree[path]
    assert isinstance(entry, File), path
    return entry.content.decode()


def values(conf: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in conf.splitlines() if line.startswith(f"{key}=")]


def test_initrd_carries_the_default_modules_and_disk_drivers_not_every_module() -> None:
    conf = text(lower(config({})), "mkosi.conf")
    include = values(conf, "KernelModulesInitrdInclude")
    assert include[0] == "default"
    assert values(conf, "KernelModulesInitrdExclude") == [".*"]
    # mkosi searches each regex in the module's path below /usr/lib/modules/<kver>/.
    paths = ["kernel/drivers/block/virtio_blk.ko.xz", "kernel/drivers/block/xen-blkfront.ko.xz",
             "kernel/drivers/usb/storage/usb-storage.ko.xz"]
    for path in paths:
        assert any(re.search(regex, path) for regex in include[1:]), path
    assert not any(re.search(regex, "kernel/drivers/net/wireless/ath/ath9k/ath9k.ko.xz")
                   for regex in include[1:])


def test_an_extra_initrd_module_is_matched_whichever_separator_its_file_uses() -> None:
    conf = text(lower(config({"boot": {"initrd": {"kernel_modules": ["mpt3sas", "dm_raid"]}}})),
                "mkosi.conf")
    include = values(conf, "KernelModulesInitrdInclude")
    assert include[0] == "default"
    assert any(re.search(regex, "kernel/drivers/md/dm-raid.ko.xz") for regex in include[1:])
    assert not any(re.search(regex, "kernel/drivers/block/virtio_blk.ko.xz")
                   for regex in include[1:])


def test_all_kernel_modules_leaves_mkosis_default_of_every_module() -> None:
    conf = text(lower(config({"boot": {"initrd": {"all_kernel_modules": True}}})), "mkosi.conf")
    assert "KernelModulesInitrd" not in conf


def test_systemd_boot_update_is_disabled_unless_asked_for() -> None:
    assert "disable systemd-boot-update.service" in text(lower(config({})), PRESET).splitlines()
    preset = text(lower(config({"boot": {"update_loader_at_boot": True}})), PRESET)
    assert "systemd-boot-update.service" not in preset


def test_the_build_puts_the_hardware_database_into_usr() -> None:
    entry = lower(config({}))["mkosi.postinst"]
    assert isinstance(entry, File) and entry.mode == 0o755
    script = entry.content.decode()
    assert "mkosi-chroot systemd-hwdb update --usr" in script
    assert 'rm -f "$BUILDROOT/etc/udev/hwdb.bin"' in script


def translations_kept(cfg: dict, root) -> list[str]:
    """The postinst's image.translations part, run by sh as mkosi would (the part before
    needs the image's tools) on a scratch /usr/share/locale; the entries left there."""
    script = text(lower(config(cfg)), "mkosi.postinst")
    locale = root / "usr/share/locale"
    for name in ("de", "de_AT", "fr", "pt", "pt_BR", "sr@latin", "zh_CN"):
        (locale / name / "LC_MESSAGES").mkdir(parents=True)
        (locale / name / "LC_MESSAGES/coreutils.mo").write_bytes(b"\x95\x04\x12\xde")
    (locale / "locale.alias").write_text("# a file, not a language\n")
    marker = "# image.translations"
    part = script[script.index(marker):] if marker in script else ""
    subprocess.run(["sh", "-eu", "-c", part], check=True,
                   env={"BUILDROOT": str(root), "PATH": "/usr/bin:/bin"})
    return sorted(p.name for p in locale.iterdir())


def test_the_image_keeps_only_the_translations_of_the_locales_language(tmp_path) -> None:
    assert translations_kept({}, tmp_path / "c") == ["locale.alias"]  # C.UTF-8: English
    assert translations_kept({"i18n": {"locale": "pt_BR.UTF-8"}}, tmp_path / "pt") == \
        ["locale.alias", "pt", "pt_BR"]
    assert translations_kept({"image": {"translations": ["de", "sr"]}}, tmp_path / "de") == \
        ["de", "de_AT", "locale.alias", "sr@latin"]
    assert translations_kept({"image": {"translations": ["all"]}}, tmp_path / "all") == \
        ["de", "de_AT", "fr", "locale.alias", "pt", "pt_BR", "sr@latin", "zh_CN"]


def run_kernel_link(cfg: dict, root) -> None:
    """mkosi.finalize's kernel part, run by sh as mkosi would, on a scratch image tree (the
    part after it needs the image's tools)."""
    script = text(lower(config(cfg)), "mkosi.finalize")
    part = script.split("# What the first boot", 1)[0]
    subprocess.run(["sh", "-eu", "-c", part], check=True,
                   env={"BUILDROOT": str(root), "PATH": "/usr/bin:/bin"})


def test_usr_links_to_the_kernel_in_boot_instead_of_carrying_a_copy(tmp_path) -> None:
    for layout in ("usr", "root"):
        root = tmp_path / layout
        (root / "boot").mkdir(parents=True)
        for kver, usr_copy in (("6.12.1-cloud-amd64", b"kernel"), ("6.12.2-amd64", b"other")):
            (root / "boot" / f"vmlinuz-{kver}").write_bytes(b"kernel")
            (root / "usr/lib/modules" / kver).mkdir(parents=True)
            (root / "usr/lib/modules" / kver / "vmlinuz").write_bytes(usr_copy)
        run_kernel_link({"image": {"layout": layout}}, root)
        linked = root / "usr/lib/modules/6.12.1-cloud-amd64/vmlinuz"
        # mkosi reads the kernel through the link when it builds the UKI.
        assert linked.is_symlink() and linked.read_bytes() == b"kernel"
        assert linked.resolve() == (root / "boot/vmlinuz-6.12.1-cloud-amd64").resolve()
        # A /usr kernel that is not the one in /boot stays where it is.
        differing = root / "usr/lib/modules/6.12.2-amd64/vmlinuz"
        assert not differing.is_symlink() and differing.read_bytes() == b"other"
    assert "systemd-update-done" not in text(lower(config({"image": {"layout": "root"}})),
                                             "mkosi.finalize")
