"""examples/minimal on layout `root`: the whole root is the verity-protected slot, and /etc
is an overlay whose changes live on the persistent /var (docs/lowering.md, "Layout root").

Cost: one build of the system (about 1 min with mkosi's package cache, longer cold) and one
boot (60–150 s under software emulation); every probe runs in that boot and each test
asserts one thing a user of the machine would notice. The admin's edits to /etc come after
the other probes, then `pydeclos status`, `generations`, `switch` and `rollback` run.
"""

from __future__ import annotations

import json
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
# The admin edits an unmanaged /etc file and removes another (both from base-files).
p issue_there "$(test -f /etc/issue && test -f /etc/issue.net && echo yes)"
echo "Welcome to the root layout" >> /etc/issue
rm /etc/issue.net
p upper_files "$(cd /var/lib/pydeclos/etc/upper && find . -mindepth 1 -printf '%P:%y ')"
p esp "$(ls /boot/EFI/Linux /efi/EFI/Linux 2>/dev/null | grep '\.efi$' | tr '\n' ' ')"
p status "$(pydeclos status --json 2>&1 | tr -d '\n')"
p status_text "$(pydeclos status 2>&1 | tr '\n' '|')"
p generations "$(pydeclos generations --json 2>&1 | tr -d '\n')"
p switch "$( (pydeclos switch --from /tmp --yes 2>&1; echo "exit $?") | tr '\n' '|')"
p rollback "$( (pydeclos rollback --yes 2>&1; echo "exit $?") | tr '\n' '|')"
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


def test_status_names_the_layout_the_root_slot_and_the_admins_etc_changes(
        root_build, probes) -> None:
    assert one(probes, "issue_there") == "yes"
    status = json.loads(one(probes, "status"))
    slot = Path(root_build.artifacts["usr"]).name.split(".")[0]  # pydeclos_1
    assert status["layout"] == "root"
    assert f"{status['image_id']}_{status['version']}" == slot
    assert status["slot"]["mount_point"] == "/"
    assert status["slot"]["dm_name"] == "root" and status["slot"]["data"] == slot
    # The relative links layout root makes into the store are the declared entries.
    assert status["etc"] == {"edited": [], "missing": [], "stale": [], "kept": {},
                             "removed": []}, status["etc"]
    # Exactly the admin's edits (this test's), whatever the machine wrote in /etc itself.
    changes = status["etc_changes"]
    assert changes["admin"] == {"added": ["pydeclos-probe"], "modified": ["issue"],
                                "replaced": [], "deleted": ["issue.net"]}, \
        (changes, one(probes, "upper_files"))
    machine = changes["machine"]
    # The slot ships an /etc/machine-id for systemd to fill (modified), or none (added).
    assert "machine-id" in machine["added"] + machine["modified"], machine
    assert any(n.startswith("ssh/ssh_host_") and n.endswith("_key") for n in machine["added"])
    text = one(probes, "status_text").split("|")
    assert "(layout root)" in text[0]
    assert "/etc local changes: added /etc/pydeclos-probe; modified /etc/issue; " \
           "deleted /etc/issue.net" in text


def test_generations_lists_the_root_slot_running(root_build, probes) -> None:
    generations = json.loads(one(probes, "generations"))
    slot = Path(root_build.artifacts["usr"]).name.split(".")[0]
    assert generations["layout"] == "root"
    [row] = generations["generations"]
    assert row["slot"] == slot and row["running"]
    # The entry as the machine sees its ESP (whether the ESP is mounted on this layout).
    shown = one(probes, "esp").split()
    assert row["esp_entry"] == (f"{slot}.efi" if f"{slot}.efi" in shown else None), shown
    assert row["boots_next"] == (row["esp_entry"] is not None)


def test_switch_and_rollback_refuse_in_one_line(probes) -> None:
    for command in ("switch", "rollback"):
        *lines, code, _ = one(probes, command).split("|")
        assert code != "exit 0" and code.startswith("exit "), one(probes, command)
        assert len(lines) == 1 and "Traceback" not in lines[0], lines
        assert "switching layout root is not supported yet" in lines[0]
