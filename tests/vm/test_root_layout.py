"""examples/minimal on layout `root`: the whole root is the verity-protected slot, and /etc
is an overlay whose changes live on the persistent /var (docs/lowering.md, "Layout root").

Cost: one build of the system (about 1 min with mkosi's package cache, longer cold) and one
boot (60–150 s under software emulation); every probe runs in that boot and each test
asserts one thing a user of the machine would notice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.conftest import MINIMAL
from tests.vm.test_minimal import ALICE_KEY, one, probe_lines

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

ROOT_TYPE = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"  # root-x86-64 (discoverable partitions)

# "key<TAB>value" lines; `set -u` only, so one failing probe does not hide the others.
PROBES = r"""
set -u
p() { printf '%s\t%s\n' "$1" "$2"; }
p hostname "$(hostname)"
p alice "$(getent passwd alice)"
p alice_home "$(stat -c '%U %F' /home/alice)"
p alice_keys "$(cat /etc/ssh/authorized_keys.d/alice)"
p sshd "$(systemctl is-active ssh.service)"
p scratch "$(findmnt -n -o FSTYPE /srv/scratch) $(stat -c %a /srv/scratch)"
p root "$(findmnt -n -o SOURCE,FSTYPE /) $(findmnt -n -o OPTIONS / | cut -d, -f1)"
p root_dm "$(dmsetup table "$(basename "$(findmnt -n -o SOURCE /)")")"
p roothash "$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^roothash=//p')"
p root_write "$(touch /pydeclos-probe 2>/dev/null && echo written || echo refused)"
p etc "$(findmnt -n -o FSTYPE /etc)"
p var "$(lsblk -no PARTLABEL "$(findmnt -n -o SOURCE /var)")"
echo "written at run time" > /etc/pydeclos-probe
p etc_file "$(cat /etc/pydeclos-probe)"
p upper "$(cat /var/lib/pydeclos/etc/upper/pydeclos-probe)"
p upper_on "$(lsblk -no PARTLABEL "$(findmnt -n -o SOURCE -T /var/lib/pydeclos/etc/upper)")"
p machine_id "$(cat /var/lib/pydeclos/etc/upper/machine-id)"
p host_keys "$(ls /var/lib/pydeclos/etc/upper/ssh | grep -c '_key$')"
p state "$(systemctl is-system-running)"
p failed "$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"
echo "probes done" >&2
exit 3
"""


@pytest.fixture(scope="module")
def root_build(tmp_path_factory: pytest.TempPathFactory):
    """examples/minimal with image.layout = "root", built through `pydeclos build`."""
    from pydeclos.build.system import build_system

    source = tmp_path_factory.mktemp("root-layout")
    system = source / "system.py"
    system.write_text(f"imports = [{str(MINIMAL)!r}]\n"
                      "config = {'image': {'layout': 'root'}}\n")
    return build_system(system, tmp_path_factory.mktemp("root-layout-out"))


@pytest.fixture(scope="module")
def probes(root_build) -> dict[str, list[str]]:
    image = root_build.directory / root_build.artifacts["image"]
    result = CliRunner().invoke(main, ["vm", str(image), "--timeout", "900", "--exec", PROBES])
    assert result.exit_code == 3, result.output
    assert result.stderr.strip() == "probes done"
    return probe_lines(result.stdout)


def test_the_build_ships_the_root_slot(root_build) -> None:
    assert Path(root_build.artifacts["usr"]).name.startswith("pydeclos_1.root.")


def test_hostname_user_key_sshd_and_tmpfs_are_there(probes) -> None:
    assert one(probes, "hostname") == "minimal"
    fields = one(probes, "alice").split(":")
    assert fields[0] == "alice" and fields[5] == "/home/alice"
    assert one(probes, "alice_home") == "alice directory"
    assert ALICE_KEY in one(probes, "alice_keys")
    assert one(probes, "sshd") == "active"
    # The mount point came with the image, and mounting left the declared mode alone.
    assert one(probes, "scratch") == "tmpfs 1777"


def test_root_is_the_read_only_verity_slot_the_uki_pins(probes) -> None:
    assert one(probes, "root") == "/dev/mapper/root erofs ro"
    assert one(probes, "root_write") == "refused"
    roothash = one(probes, "roothash")
    assert len(roothash) == 64
    table = one(probes, "root_dm")
    assert " verity " in f" {table} " and roothash in table


def test_etc_is_writable_and_its_changes_land_on_the_var_partition(probes) -> None:
    assert one(probes, "etc") == "overlay"
    assert one(probes, "var") == "pydeclos-var"
    assert one(probes, "etc_file") == "written at run time"
    assert one(probes, "upper") == "written at run time"
    assert one(probes, "upper_on") == "pydeclos-var"


def test_the_machine_made_its_own_identity_in_etc(probes) -> None:
    assert len(one(probes, "machine_id")) == 32
    assert int(one(probes, "host_keys")) >= 1  # ssh-keygen -A, not the build host's keys


def test_system_is_running_not_degraded(probes) -> None:
    assert one(probes, "state") == "running", f"failed units: {one(probes, 'failed')}"
