"""`pydeclos switch --target-host` from this host moves a VM, reached only over ssh, from
generation 1 to generation 2 without a kernel reboot.

The VM boots generation 1 of tests/switch/systems with sshd and a root key this test made
(`v1` itself has no sshd, and adding one would change the other switch tests' plans), and
qemu forwards a free loopback port to its port 22. The guest script (run_exec's, at every
boot) records the boot, marks itself ready and waits; the host waits for that mark over ssh,
then runs the real CLI: `pydeclos switch --target-host root@127.0.0.1:PORT --from OUT/2
--yes`. After the soft-reboot the guest script runs again and reports.

Cost: one extra build (generation 1 with sshd, ~1-1.5 min) and one boot with a soft-reboot
(~2-3 min under TCG, including ~160 MB of artifacts over ssh); generation 2 is the session
build the other switch tests use.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.switch.builds import SYSTEMS, switch_builds_in
from tests.switch.sshd import free_port, keygen
from tests.vm.test_switch import fields

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

READY = "/var/lib/swtest/target-host-ready"

GUEST = rf"""
set -u
S=/var/lib/swtest
mkdir -p $S
p() {{ printf '%s\t%s\n' "$1" "$2"; }}
if [ ! -e {READY} ]; then
  p boot_id_before "$(cat /proc/sys/kernel/random/boot_id)" > $S/before
  p version_before "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")" >> $S/before
  touch {READY}
  sleep 1500  # the host switches this machine over ssh; the soft-reboot ends this run
  exit 1
fi
cat $S/before
p version "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")"
p boot_id "$(cat /proc/sys/kernel/random/boot_id)"
p soft_reboots "$(systemctl show -P SoftRebootsCount)"
p hello "$(systemctl is-active swtest-hello.service)"
p leftovers "$(ls -d /var/tmp/pydeclos-target.* 2>/dev/null | wc -l)"
"""


def ssh_options(key: Path) -> list[str]:
    return [f"IdentityFile={key}", "UserKnownHostsFile=/dev/null", "StrictHostKeyChecking=no",
            "BatchMode=yes", "IdentitiesOnly=yes", "LogLevel=ERROR", "ConnectTimeout=20"]


def build_with_ssh(work: Path, key: Path) -> Path:
    """Generation 1 with sshd, root logging in with `key`, in an OUT of its own."""
    from pydeclos.build.system import build_system

    system = work / "v1-ssh.py"
    system.write_text(
        '"""Generation 1 of the switch tests, reachable over ssh as root."""\n'
        f"imports = [{str(SYSTEMS / 'v1.py')!r}]\n"
        'config = {"services": {"openssh": {"enable": True}}, "users": {"users": {"root": '
        f'{{"ssh_authorized_keys": [{key.with_suffix(".pub").read_text().strip()!r}]}}}}}}}}\n')
    return build_system(system, work / "out", version=1).directory


def wait_ready(port: int, key: Path, vm: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    argv = ["ssh", *[w for o in ssh_options(key) for w in ("-o", o)], "-p", str(port),
            "root@127.0.0.1", f"test -e {READY}"]
    while time.monotonic() < deadline:
        if not vm.is_alive():
            return  # the VM run ended early: its report says why
        if subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=120).returncode == 0:
            return
        time.sleep(3)
    raise AssertionError(f"the guest was not reachable over ssh in {timeout:.0f} s")


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory):
    from pydeclos.vm.qemu import PortForward, VmOptions, run_exec
    from pydeclos.vm.target import image_of_generation

    builds = switch_builds_in(tmp_path_factory.getbasetemp())
    work = tmp_path_factory.mktemp("target-host")
    key = keygen(work / "key")
    first = build_with_ssh(work, key)
    port = free_port()
    result: dict[str, Any] = {}

    def boot() -> None:
        try:
            result["run"] = run_exec(image_of_generation(first), GUEST,
                                     VmOptions(forwards=[PortForward(port, 22)]), timeout=1800,
                                     console_log=work / "console.log")
        except Exception as error:  # reported by the test, not lost in the thread
            result["error"] = error

    vm = threading.Thread(target=boot, daemon=True)
    vm.start()
    wait_ready(port, key, vm, timeout=1200)
    switch = None
    if vm.is_alive():
        switch = subprocess.run(
            [sys.executable, "-m", "pydeclos", "switch", "--target-host",
             f"root@127.0.0.1:{port}", "--from", str(builds.v2), "--yes",
             *[w for o in ssh_options(key) for w in ("-o", o)]],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1200)
    vm.join(timeout=1800)
    if "error" in result:
        raise result["error"]
    report = result["run"].report
    assert switch is not None, report.stdout + report.stderr
    assert report.status == 0, switch.stdout + switch.stderr + report.stdout + report.stderr
    return switch, fields(report.stdout)


def test_the_remote_plan_is_printed_here_and_the_exit_code_is_success(switched) -> None:
    switch, _ = switched
    assert switch.returncode == 0, switch.stdout + switch.stderr
    out = switch.stdout
    assert "switch: swtest generation 1 (running system) -> generation 2 (/var/tmp/pydeclos-target." \
        in out, out
    assert "  + swtest-hello.service" in out and "method: soft-reboot" in out, out
    assert "activating generation 2 by soft-reboot" in out, out
    assert "Traceback" not in switch.stderr


def test_the_target_runs_generation_2_in_the_same_boot(switched) -> None:
    _, guest = switched
    assert guest["version_before"] == "1"
    assert guest["version"] == "2"
    assert guest["boot_id"] == guest["boot_id_before"]
    assert guest["soft_reboots"] == "1"
    assert guest["hello"] == "active"


def test_the_copy_on_the_target_is_removed(switched) -> None:
    _, guest = switched
    assert guest["leftovers"] == "0"
