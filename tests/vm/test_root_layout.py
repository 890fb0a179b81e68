"""examples/minimal on layout `root`: the whole root is the verity-protected slot, and /etc
is an overlay whose changes live on the persistent /var (docs/lowering.md, "Layout root");
then switched to a second generation, rolled back, and staged and rebooted into the second
again (docs/switching.md, "switch and rollback on layout root").

Generation 1 is examples/minimal on layout root with a root ssh key (made by this test) and
two declared /etc files; generation 2 changes one of them and drops the other, and declares
a third. One VM, three boots:

- the first run of the guest script probes generation 1 (each test asserts one thing a user
  of the machine would notice), makes the admin's edits to /etc (an unmanaged file edited,
  one deleted, one added, a declared file overwritten), runs `status` and `generations`,
  and waits;
- the host then switches it over ssh: `pydeclos switch --target-host root@127.0.0.1:PORT
  --from OUT/2 --yes` (a forwarded port; the generation is copied to the target's /var/tmp
  and switched there). The guest cuts its own power while systemd-sysupdate writes;
- the second run (the boot after the cut) probes generation 1 intact, and the host runs
  the same switch again, which soft-reboots the machine into generation 2;
- the third run probes generation 2 (same boot, the new slot at /, the /etc outcomes) and
  runs `pydeclos rollback --method kexec --yes`, which kexecs generation 1's kernel with its
  command line (the kernel is the same; `auto` picks kexec when it changes, tested on
  layout usr in tests/vm/test_switch.py): no firmware, the initrd mounts slot 1 and its
  /etc state;
- the fourth run probes generation 1 and the /etc state it left, edits /etc once more and
  waits; the host stages generation 2 over ssh (`--stage-only`), the guest edits /etc again
  (after the staging: carried over at shutdown) and reboots for real;
- the fifth run (generation 2 booted through systemd-boot and the initrd, which mounts
  generation 2's own /etc state) probes the same /etc outcomes and both late edits.

Cost: two builds (generation 2 is a config-only rebuild of the same package set) and one
VM with three boots, a kexec and a soft-reboot under software emulation (it replaces the
`--target-host` test's own build and boot).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pydeclos.vm.qemu import VM_WAITS
from tests.conftest import MINIMAL, scratch
from tests.switch.sshd import free_port, keygen
from tests.vm.power_cut import CUT_POWER_WHILE_WRITING
from tests.vm.test_minimal import ALICE_KEY, one, probe_lines

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

ROOT_TYPE = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"  # root-x86-64 (discoverable partitions)

READY = "/var/lib/rltest/ready"
READY_AGAIN = "/var/lib/rltest/ready-again"
READY_TO_STAGE = "/var/lib/rltest/ready-to-stage"

# "key<TAB>value" lines; `set -u` only, so one failing probe does not hide the others. The
# guest script runs again after each soft-reboot; its stage is kept in /var.
GUEST = CUT_POWER_WHILE_WRITING + r"""
set -u
S=/var/lib/rltest
mkdir -p $S
p() { printf '%s\t%s\n' "$1" "$2"; }
b64() { base64 -w0; }
js() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
etc_probes() {
  p version "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")"
  p boot_id "$(cat /proc/sys/kernel/random/boot_id)"
  p soft_reboots "$(systemctl show -P SoftRebootsCount)"
  p root "$(findmnt -n -o SOURCE,FSTYPE /)"
  p root_slot "$(pydeclos status --json | js '["slot"]["data"]')"
  p etc "$(findmnt -n -o FSTYPE /etc)"
  p issue "$(tail -n1 /etc/issue)"
  p issue_net "$(test -e /etc/issue.net && echo present || echo gone)"
  p probe_file "$(cat /etc/pydeclos-probe 2>&1)"
  p changed "$(cat /etc/rltest/changed.conf 2>&1)"
  p dropped "$(cat /etc/rltest/dropped.conf 2>&1)"
  p added "$(cat /etc/rltest/added.conf 2>&1)"
  p machine_id "$(cat /etc/machine-id)"
  p host_key "$(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2)"
  p kept "$(cd /var/lib/pydeclos/etc-kept 2>/dev/null && find . -type f | sort | tr '\n' ' ')"
  p kept_text "$(cat /var/lib/pydeclos/etc-kept/*/rltest/changed.conf 2>&1 | head -n1)"
  p states "$(ls /var/lib/pydeclos/etc 2>/dev/null | tr '\n' ' ')"
  p state "$(systemctl is-system-running)"
  p failed "$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"
}
if [ ! -e $S/first ]; then
  touch $S/first
  {
  p hostname "$(hostname)"
  p alice "$(getent passwd alice)"
  p alice_home "$(stat -c '%U %F' /home/alice)"
  p alice_keys "$(cat /etc/ssh/authorized_keys.d/alice)"
  p sshd "$(systemctl is-active ssh.service)"
  p scratch "$(findmnt -n -o FSTYPE /srv/scratch) $(stat -c %a /srv/scratch)"
  p root_ro "$(findmnt -n -o OPTIONS / | cut -d, -f1)"
  p root_dm "$(dmsetup table "$(basename "$(findmnt -n -o SOURCE /)")")"
  p roothash "$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^roothash=//p')"
  p root_write "$(touch /pydeclos-probe 2>/dev/null && echo written || echo refused)"
  p var "$(lsblk -no PARTLABEL "$(findmnt -n -o SOURCE /var)")"
  echo "written at run time" > /etc/pydeclos-probe
  p upper "$(cat /var/lib/pydeclos/etc/1/upper/pydeclos-probe)"
  p upper_on "$(lsblk -no PARTLABEL "$(findmnt -n -o SOURCE -T /var/lib/pydeclos/etc/1/upper)")"
  p upper_machine_id "$(cat /var/lib/pydeclos/etc/1/upper/machine-id)"
  p host_keys "$(ls /var/lib/pydeclos/etc/1/upper/ssh | grep -c '_key$')"
  # The admin edits an unmanaged /etc file and removes another (both from base-files), and
  # overwrites a declared one.
  p issue_there "$(test -f /etc/issue && test -f /etc/issue.net && echo yes)"
  echo "Welcome to the root layout" >> /etc/issue
  rm /etc/issue.net
  rm /etc/rltest/changed.conf && echo "the admin's version" > /etc/rltest/changed.conf
  p upper_files "$(cd /var/lib/pydeclos/etc/1/upper && find . -mindepth 1 -printf '%P:%y ')"
  p esp "$(ls /boot/EFI/Linux /efi/EFI/Linux 2>/dev/null | grep '\.efi$' | tr '\n' ' ')"
  p status "$(pydeclos status --json 2>&1 | tr -d '\n')"
  p status_text "$(pydeclos status 2>&1 | tr '\n' '|')"
  p generations "$(pydeclos generations --json 2>&1 | tr -d '\n')"
  etc_probes | sed 's/^/g1_/'
  } > $S/first.out
  sync
  touch READY_FILE
  # The host switches this machine over ssh. Its first attempt loses power (a reset
  # without sync) while systemd-sysupdate writes generation 2's root slot.
  cut_power_while_writing $S/cut 3000
fi
if [ ! -e $S/after_cut ]; then  # the boot after the cut: generation 1 intact
  touch $S/after_cut
  { cat $S/cut
    etc_probes | sed 's/^/cut_/'
    p cut_leftovers "$(ls -d /var/tmp/pydeclos-target.* 2>/dev/null | wc -l)"
  } > $S/after_cut.out
  rm READY_FILE; touch READY_AGAIN_FILE
  sleep 1500  # the host switches again; the soft-reboot ends this run
  exit 1
fi
if [ ! -e $S/second ]; then
  touch $S/second
  etc_probes | sed 's/^/g2_/' > $S/second.out
  p leftovers "$(ls -d /var/tmp/pydeclos-target.* 2>/dev/null | wc -l)" >> $S/second.out
  pydeclos rollback --method kexec --yes > $S/rollback.log 2>&1
  status=$?
  if [ $status -ne 0 ]; then
    cat $S/first.out $S/after_cut.out $S/second.out; cat $S/rollback.log >&2; exit 1
  fi
  sleep 600  # the rollback's kexec ends this run
  cat $S/first.out $S/after_cut.out $S/second.out $S/rollback.log >&2
  exit 1
fi
if [ ! -e $S/third ]; then
  touch $S/third
  {
  etc_probes | sed 's/^/back_/'
  p back_cmdline_roothash "$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^roothash=//p')"
  p rollback_log "$(b64 < $S/rollback.log)"
  } > $S/third.out
  # Back on generation 1, the admin edits /etc again; the host stages generation 2.
  echo "edited on generation 1 after the rollback" > /etc/pydeclos-probe
  touch READY_TO_STAGE_FILE
  while [ ! -e $S/staged ]; do sleep 2; done
  echo "added after the staging" > /etc/pydeclos-late
  p carry "$(systemctl is-active pydeclos-etc-carry.service)" >> $S/third.out
  p staged_next "$(pydeclos generations --json | js '["generations"][-1]["boots_next"]')" >> $S/third.out
  systemctl reboot --no-block  # a real boot of the staged generation 2, through systemd-boot
  sleep 600
  cat $S/first.out $S/after_cut.out $S/second.out $S/third.out
  exit 1
fi
cat $S/first.out $S/after_cut.out $S/second.out $S/third.out
etc_probes | sed 's/^/rb_/'
p rb_late "$(cat /etc/pydeclos-late 2>&1)"
p rb_cmdline_roothash "$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^roothash=//p')"
p rb_blessed "$(systemctl show -P ActiveState systemd-bless-boot)"
p rb_carry_log "$(journalctl -b -1 -u pydeclos-etc-carry.service --no-pager -o cat 2>&1 | b64)"
echo "probes done" >&2
""".replace("READY_FILE", READY).replace("READY_TO_STAGE_FILE", READY_TO_STAGE) \
    .replace("READY_AGAIN_FILE", READY_AGAIN)


def ssh_options(key: Path) -> list[str]:
    return [f"IdentityFile={key}", "UserKnownHostsFile=/dev/null", "StrictHostKeyChecking=no",
            "BatchMode=yes", "IdentitiesOnly=yes", "LogLevel=ERROR", "ConnectTimeout=20",
            # A guest that loses its power answers nothing more: give up after a minute.
            "ServerAliveInterval=5", "ServerAliveCountMax=12"]


def systems(directory: Path, key: Path) -> tuple[Path, Path]:
    """Generation 1 and 2: examples/minimal on layout root, root reachable with `key`; 2
    changes one declared /etc file, drops another and adds a third."""
    base = directory / "base.py"
    base.write_text(
        f"imports = [{str(MINIMAL)!r}]\n"
        # pydeclos vm's waits (VM_WAITS) for the kexec boot, which the firmware skips; the
        # serial console, the option's default, is named again (a definition replaces it)
        "config = {'image': {'layout': 'root'}, 'boot': {'kernel_params': "
        f"{['console=ttyS0', *VM_WAITS]!r}}}, 'users': {{'users': {{'root': "
        f"{{'ssh_authorized_keys': [{key.with_suffix('.pub').read_text().strip()!r}]}}}}}}}}\n")
    first, second = directory / "v1.py", directory / "v2.py"
    first.write_text("imports = ['./base.py']\nconfig = {'environment': {'etc': {\n"
                     "    'rltest/changed.conf': {'text': 'version 1\\n'},\n"
                     "    'rltest/dropped.conf': {'text': 'only in 1\\n'}}}}\n")
    second.write_text("imports = ['./base.py']\nconfig = {'environment': {'etc': {\n"
                      "    'rltest/changed.conf': {'text': 'version 2\\n'},\n"
                      "    'rltest/added.conf': {'text': 'new in 2\\n'}}}}\n")
    return first, second


@pytest.fixture(scope="module")
def root_builds(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both generations, built through `pydeclos build` into one OUT."""
    from pydeclos.build.system import build_system

    source = tmp_path_factory.mktemp("root-layout")
    key = keygen(source / "key")
    first, second = systems(source, key)
    with scratch(request, tmp_path_factory, "root-layout-out") as out:
        yield {"v1": build_system(first, out, version=1),
               "v2": build_system(second, out, version=2), "key": key}


def on_guest(port: int, key: Path, command: str) -> list[str]:
    return ["ssh", *[w for o in ssh_options(key) for w in ("-o", o)], "-p", str(port),
            "root@127.0.0.1", command]


def wait_ready(port: int, key: Path, vm: threading.Thread, timeout: float,
               marker: str = READY) -> None:
    import time

    deadline = time.monotonic() + timeout
    argv = on_guest(port, key, f"test -e {marker}")
    while time.monotonic() < deadline and vm.is_alive():
        if subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=120).returncode == 0:
            return
        time.sleep(3)


@pytest.fixture(scope="module")
def run(root_builds, request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with scratch(request, tmp_path_factory, "root-layout-vm") as work:
        yield boot_and_switch(root_builds, work)


def boot_and_switch(root_builds: dict[str, Any], work: Path) -> dict[str, Any]:
    """Boot generation 1 and drive it from the host (see the module's docstring)."""
    from pydeclos.vm.qemu import PortForward, VmOptions, run_exec

    first, key = root_builds["v1"], root_builds["key"]
    port = free_port()
    result: dict[str, Any] = {}

    # A copy written in place (persist): its resets then start qemu afresh (pydeclos/vm/qemu.py)
    image = work / "disk.raw"
    subprocess.run(["cp", "--sparse=always", str(first.directory / first.artifacts["image"]),
                    str(image)], check=True)

    def boot() -> None:
        try:
            result["run"] = run_exec(image, GUEST,
                                     VmOptions(forwards=[PortForward(port, 22)], persist=True),
                                     timeout=2400, console_log=work / "console.log")
        except Exception as error:  # reported by the test, not lost in the thread
            result["error"] = error

    vm = threading.Thread(target=boot, daemon=True)
    vm.start()
    wait_ready(port, key, vm, timeout=1200)
    def switch(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pydeclos", "switch", "--target-host",
             f"root@127.0.0.1:{port}", "--from", str(root_builds["v2"].directory), "--yes",
             *extra, *[w for o in ssh_options(key) for w in ("-o", o)]],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1200)

    cut = switched = staged = None
    if vm.is_alive():
        cut = switch()  # the guest cuts its own power while this writes
        wait_ready(port, key, vm, timeout=1200, marker=READY_AGAIN)
    if vm.is_alive():
        switched = switch()
        wait_ready(port, key, vm, timeout=1200, marker=READY_TO_STAGE)
    if vm.is_alive():
        staged = switch("--stage-only")
        subprocess.run(on_guest(port, key, "touch /var/lib/rltest/staged"),
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    vm.join(timeout=2400)
    if "error" in result:
        raise result["error"]
    report = result["run"].report
    assert cut and switched and staged, report.stdout + report.stderr
    host = "".join(p.stdout + p.stderr for p in (cut, switched, staged))
    assert report.status == 0, host + report.stdout + report.stderr
    assert report.stderr.strip() == "probes done", report.stderr
    console = (work / "console.log").read_bytes().decode(errors="replace")
    return {"cut": cut, "switch": switched, "stage": staged,
            "probes": probe_lines(report.stdout),
            "firmware_starts": console.count("BdsDxe: starting")}


@pytest.fixture(scope="module")
def probes(run) -> dict[str, list[str]]:
    return run["probes"]


def test_the_build_ships_the_root_slot(root_builds) -> None:
    assert Path(root_builds["v1"].artifacts["usr"]).name.startswith("pydeclos_1.root.")


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
    assert one(probes, "g1_root") == "/dev/mapper/root erofs"
    assert one(probes, "root_ro") == "ro"
    assert one(probes, "root_write") == "refused"
    roothash = one(probes, "roothash")
    assert len(roothash) == 64
    table = one(probes, "root_dm")
    assert " verity " in f" {table} " and roothash in table


def test_etc_is_writable_and_its_changes_land_on_the_var_partition(probes) -> None:
    assert one(probes, "g1_etc") == "overlay"
    assert one(probes, "var") == "pydeclos-var"
    assert one(probes, "g1_probe_file") == "written at run time"
    assert one(probes, "upper") == "written at run time"
    assert one(probes, "upper_on") == "pydeclos-var"


def test_the_machine_made_its_own_identity_in_etc(probes) -> None:
    assert one(probes, "upper_machine_id") == one(probes, "g1_machine_id")
    assert len(one(probes, "g1_machine_id")) == 32
    assert int(one(probes, "host_keys")) >= 1  # ssh-keygen -A, not the build host's keys


def test_system_is_running_not_degraded(probes) -> None:
    assert one(probes, "g1_state") == "running", f"failed units: {one(probes, 'g1_failed')}"


def test_status_names_the_layout_the_root_slot_and_the_admins_etc_changes(
        root_builds, probes) -> None:
    assert one(probes, "issue_there") == "yes"
    status = json.loads(one(probes, "status"))
    slot = Path(root_builds["v1"].artifacts["usr"]).name.split(".")[0]  # pydeclos_1
    assert status["layout"] == "root"
    assert f"{status['image_id']}_{status['version']}" == slot
    assert status["slot"]["mount_point"] == "/"
    assert status["slot"]["dm_name"] == "root" and status["slot"]["data"] == slot
    # The relative links layout root makes into the store are the declared entries; the
    # admin overwrote one of them.
    assert status["etc"] == {"edited": ["rltest/changed.conf"], "missing": [], "stale": [],
                             "kept": {}, "removed": []}, status["etc"]
    # Exactly the admin's edits (this test's), whatever the machine wrote in /etc itself.
    changes = status["etc_changes"]
    assert changes["admin"] == {"added": ["pydeclos-probe"], "modified": ["issue"],
                                "replaced": ["rltest/changed.conf"], "deleted": ["issue.net"]}, \
        (changes, one(probes, "upper_files"))
    machine = changes["machine"]
    # The slot ships an /etc/machine-id for systemd to fill (modified), or none (added).
    assert "machine-id" in machine["added"] + machine["modified"], machine
    assert any(n.startswith("ssh/ssh_host_") and n.endswith("_key") for n in machine["added"])
    text = one(probes, "status_text").split("|")
    assert "(layout root)" in text[0]
    assert "/etc local changes: added /etc/pydeclos-probe; modified /etc/issue; " \
           "replaced /etc/rltest/changed.conf; deleted /etc/issue.net" in text, text


def test_generations_lists_the_root_slot_running(root_builds, probes) -> None:
    generations = json.loads(one(probes, "generations"))
    slot = Path(root_builds["v1"].artifacts["usr"]).name.split(".")[0]
    assert generations["layout"] == "root"
    [row] = generations["generations"]
    assert row["slot"] == slot and row["running"]
    # The entry as the machine sees its ESP (whether the ESP is mounted on this layout).
    shown = one(probes, "esp").split()
    assert row["esp_entry"] == (f"{slot}.efi" if f"{slot}.efi" in shown else None), shown
    assert row["boots_next"] == (row["esp_entry"] is not None)


def test_a_power_cut_during_the_update_leaves_generation_1_intact(run, probes) -> None:
    """The guest resets itself without syncing while systemd-sysupdate writes the other
    root slot; the next boot runs generation 1 from its own slot with its /etc, and the
    same switch, run again, completes (below)."""
    assert one(probes, "writing_when_cut") == "yes"
    assert run["cut"].returncode != 0  # the host saw the machine go away
    assert one(probes, "cut_version") == "1"
    assert one(probes, "cut_boot_id") != one(probes, "g1_boot_id")
    assert one(probes, "cut_root") == "/dev/mapper/root erofs"
    assert one(probes, "cut_root_slot") == "pydeclos_1"
    for name in ("issue", "issue_net", "probe_file", "machine_id", "host_key"):
        assert one(probes, f"cut_{name}") == one(probes, f"g1_{name}"), name
    # That boot restored the declared file the admin had overwritten, keeping theirs first.
    assert one(probes, "g1_kept") == ""
    assert one(probes, "cut_changed") == "version 1"
    assert any(k.endswith("-boot-gen1/rltest/changed.conf")
               for k in one(probes, "cut_kept").split()), one(probes, "cut_kept")
    assert one(probes, "cut_kept_text") == "the admin's version"
    assert one(probes, "cut_states").split() == ["1"]
    assert one(probes, "cut_state") == "running", one(probes, "cut_failed")


def test_the_switch_over_ssh_prints_the_plan_here_and_succeeds(run) -> None:
    switch = run["switch"]
    assert switch.returncode == 0, switch.stdout + switch.stderr
    out = switch.stdout
    assert "switch: pydeclos generation 1 (running system) -> generation 2 " \
        "(/var/tmp/pydeclos-target." in out, out
    assert "activating generation 2 by soft-reboot" in out, out
    assert "Traceback" not in switch.stderr
    # The copy on the target is removed, and so was the one the power cut interrupted
    # (older than the boot: swept by the retry's copy, or /var would have had no room).
    assert one(run["probes"], "cut_leftovers") == "1"
    assert one(run["probes"], "leftovers") == "0"


def test_generation_2_runs_from_the_other_root_slot_in_the_same_boot(probes) -> None:
    assert one(probes, "g1_version") == "1" and one(probes, "g2_version") == "2"
    assert one(probes, "g2_boot_id") == one(probes, "cut_boot_id")
    assert one(probes, "g2_soft_reboots") == "1"
    assert one(probes, "g2_root") == "/dev/mapper/pydeclos-usr-2 erofs"
    assert one(probes, "g2_root_slot") == "pydeclos_2"
    assert one(probes, "g2_etc") == "overlay"
    assert one(probes, "g2_state") == "running", one(probes, "g2_failed")


def test_etc_after_the_switch_keeps_the_admins_changes_and_follows_the_generation(
        probes) -> None:
    assert one(probes, "g2_issue") == "Welcome to the root layout"  # edit kept
    assert one(probes, "g2_issue_net") == "gone"                    # deletion kept
    assert one(probes, "g2_probe_file") == "written at run time"    # added file kept
    assert one(probes, "g2_changed") == "version 2"                 # the declaration wins
    assert "No such file" in one(probes, "g2_dropped")              # dropped by generation 2
    assert one(probes, "g2_added") == "new in 2"                    # added by generation 2
    # The machine stays itself: the same machine-id and ssh host key.
    assert one(probes, "g2_machine_id") == one(probes, "g1_machine_id")
    assert one(probes, "g2_host_key") == one(probes, "g1_host_key")
    # Each generation has its own /etc state directory; generation 1's stays as it was.
    assert one(probes, "g2_states").split() == ["1", "2"]


def test_rollback_by_kexec_returns_to_generation_1_with_the_etc_it_left(run, probes) -> None:
    assert one(probes, "back_version") == "1"
    # A new kernel boot of generation 1's UKI command line, without the firmware: booted
    # through it were the first boot, the one after the power cut and the last reboot.
    assert one(probes, "back_boot_id") not in (one(probes, "cut_boot_id"),
                                               one(probes, "g2_boot_id"))
    assert one(probes, "back_soft_reboots") == "0"
    assert one(probes, "back_cmdline_roothash") == one(probes, "roothash")
    assert run["firmware_starts"] == 3
    assert one(probes, "back_root") == "/dev/mapper/root erofs"  # the initrd's verity device
    assert one(probes, "back_root_slot") == "pydeclos_1"
    assert one(probes, "back_issue") == "Welcome to the root layout"
    assert one(probes, "back_issue_net") == "gone"
    assert one(probes, "back_probe_file") == "written at run time"
    assert one(probes, "back_changed") == "version 1"
    assert one(probes, "back_dropped") == "only in 1"
    assert "No such file" in one(probes, "back_added")
    assert one(probes, "back_machine_id") == one(probes, "g1_machine_id")
    assert one(probes, "back_states").split() == ["1", "2"]
    log = base64.b64decode(one(probes, "rollback_log")).decode()
    assert "Traceback" not in log and "error" not in log.lower(), log
    assert one(probes, "back_state") == "running", one(probes, "back_failed")


def test_a_stage_only_switch_stages_generation_2_and_arms_the_etc_carry(run) -> None:
    stage = run["stage"]
    assert stage.returncode == 0, stage.stdout + stage.stderr
    assert "generation 2 is staged; the next boot runs it" in stage.stdout, stage.stdout
    assert "Traceback" not in stage.stderr
    assert one(run["probes"], "staged_next") == "True"
    assert one(run["probes"], "carry") == "active"


def test_the_staged_generation_boots_with_etc_merged_and_later_edits_carried(probes) -> None:
    assert one(probes, "rb_version") == "2"
    assert one(probes, "rb_boot_id") != one(probes, "cut_boot_id")
    assert one(probes, "rb_soft_reboots") == "0"
    assert one(probes, "rb_root_slot") == "pydeclos_2"
    assert one(probes, "rb_root") == "/dev/mapper/root erofs"  # the initrd's verity device
    assert len(one(probes, "rb_cmdline_roothash")) == 64
    assert one(probes, "rb_etc") == "overlay"
    # The same outcomes as the soft-reboot switch, from generation 1's /etc as left.
    for name in ("issue", "issue_net", "changed", "dropped", "added", "machine_id",
                 "host_key"):
        assert one(probes, f"rb_{name}") == one(probes, f"g2_{name}"), name
    # The edit made before the staging, and the file added after it (carried at shutdown).
    assert one(probes, "rb_probe_file") == "edited on generation 1 after the rollback"
    assert one(probes, "rb_late") == "added after the staging", \
        base64.b64decode(one(probes, "rb_carry_log")).decode(errors="replace")
    assert one(probes, "rb_states").split() == ["1", "2"]
    assert one(probes, "rb_state") == "running", one(probes, "rb_failed")
