"""The transfer definitions in usr/lib/sysupdate.d really update a booted image.

Generation 1 of examples/minimal boots with the artifacts of generation 2 on a second
disk mounted where the transfers look (/var/lib/pydeclos/updates); `systemd-sysupdate
update` must fill the empty B slot and install the UKI with boot counting, keeping the
booted version. Generation 2 is examples/minimal plus a `hashed_password_file` for alice:
the hash itself is written on the machine while generation 1 runs (it is in no image or
update), and must reach /etc/shadow once generation 2 runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pydeclos.lower.sysupdate import SOURCE_DIR
from tests.conftest import MINIMAL
from tests.lower.test_semantics import HASH_1

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

HASH_FILE = "/etc/credstore/alice.hash"
COMMAND = rf"""
set -u
mkdir -p /etc/credstore && (umask 077 && echo '{HASH_1}' >{HASH_FILE})
mkdir -p {SOURCE_DIR}
mount -o ro /dev/disk/by-label/pdupdates {SOURCE_DIR}
/usr/lib/systemd/systemd-sysupdate update >/run/update.log 2>&1
echo "update-status $?"
partx -g -o NAME /dev/vda | sed 's/^/label /'  # the GPT itself, not udev's cache
ls /boot/EFI/Linux | sed 's/^/uki /'
/usr/lib/systemd/systemd-sysupdate list 2>/dev/null | sed 's/^/list /'
"""


SECOND_SYSTEM = f"""\
imports = [{str(MINIMAL)!r}]


def config(cfg):
    return {{"users": {{"users": {{"alice": {{"hashed_password_file": {HASH_FILE!r}}}}}}}}}
"""


@pytest.fixture(scope="module")
def second_build(tmp_path_factory: pytest.TempPathFactory):
    from pydeclos.build.system import build_system

    system = tmp_path_factory.mktemp("minimal-v2-system") / "system.py"
    system.write_text(SECOND_SYSTEM)
    return build_system(system, tmp_path_factory.mktemp("minimal-v2"), version=2)


@pytest.fixture(scope="module")
def update_disk(second_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    second = second_build
    files = tmp_path_factory.mktemp("update-files")
    for name in second.directory.iterdir():
        if name.name.endswith(".raw.xz") or name.name.endswith(".efi"):
            shutil.copy(name, files / name.name)
    disk = tmp_path_factory.mktemp("update-disk") / "update.img"
    subprocess.run(["mkfs.ext4", "-q", "-L", "pdupdates", "-d", str(files), str(disk), "400M"],
                   check=True)
    return disk


def test_sysupdate_installs_the_next_generation_into_slot_b(minimal_build, update_disk) -> None:
    from pydeclos.vm.qemu import VmOptions, run_exec

    image = minimal_build.directory / minimal_build.artifacts["image"]
    result = run_exec(image, COMMAND, VmOptions(extra_disks=[update_disk]), timeout=900)
    lines = result.report.stdout.splitlines()
    assert "update-status 0" in lines, result.report.stdout
    labels = {line.split(" ", 1)[1].strip() for line in lines if line.startswith("label ")}
    assert {"pydeclos_1", "pydeclos_1_verity", "pydeclos_2", "pydeclos_2_verity"} <= labels
    assert "_empty" not in labels
    ukis = {line.split(" ", 1)[1] for line in lines if line.startswith("uki ")}
    assert ukis == {"pydeclos_1.efi", "pydeclos_2+3-0.efi"}  # boot counting on the new one
    listed = [line for line in lines if line.startswith("list ")]
    assert any(" 1 " in f" {line} " and "protected" in line for line in listed), listed


REBOOTED = r"""
set -u
. /usr/lib/os-release
echo "version $IMAGE_VERSION"
echo "usr $(findmnt -n -o SOURCE /usr)"
tr ' ' '\n' </proc/cmdline | sed -n 's/^usrhash=/usrhash /p'
systemctl is-system-running --wait >/dev/null 2>&1
echo "state $(systemctl is-system-running)"
echo "shadow $(getent shadow alice | cut -d: -f2)"
"""


def test_the_updated_image_boots_generation_2_from_slot_b(minimal_build, second_build,
                                                           update_disk, tmp_path: Path) -> None:
    """Update, then a real reboot: systemd-boot picks the new UKI, whose usrhash= pins B."""
    from pydeclos.vm.qemu import VmOptions, run_exec

    image = tmp_path / "disk.raw"
    subprocess.run(["cp", "--sparse=always",
                    str(minimal_build.directory / minimal_build.artifacts["image"]), str(image)],
                   check=True)
    first = run_exec(image, COMMAND, VmOptions(extra_disks=[update_disk], persist=True),
                     timeout=900)
    assert "update-status 0" in first.report.stdout.splitlines(), first.report.stdout
    second = run_exec(image, REBOOTED, VmOptions(persist=True), timeout=900)
    lines = second.report.stdout.splitlines()
    assert "version 2" in lines, second.report.stdout
    assert "usr /dev/mapper/usr" in lines
    assert f"usrhash {second_build.usrhash}" in lines
    assert "state running" in lines
    assert f"shadow {HASH_1}" in lines  # generation 2 applied the file on the machine
