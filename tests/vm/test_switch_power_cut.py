"""A power cut in the middle of the sysupdate write leaves generation 1 intact; a retry works.

The guest cuts its own power the hard way (sysrq `b`: reset without syncing or unmounting)
while systemd-import writes generation 2 into the free slot. qemu restarts it; the exec
unit (passed as credentials, so it comes back on every boot) then checks generation 1 and
runs the same switch again.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.switch.builds import SwitchBuilds, switch_builds_in
from tests.switch.builds import update_disk as make_update_disk
from tests.vm.test_switch import COMMON, fields

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

SCRIPT = COMMON + r"""
if [ ! -e $S/cut ]; then
  mkdir -p /mnt/out && mount -o ro /dev/disk/by-label/pdout /mnt/out
  pydeclos switch --from /mnt/out --yes > $S/first.log 2>&1 &
  importing() { grep -qsx systemd-import /proc/[0-9]*/comm; }  # no pgrep in the image
  for i in $(seq 600); do importing && break; sleep 0.2; done
  sleep 4
  p writing_when_cut "$(importing && echo yes || echo no)" > $S/cut
  sync $S/cut
  echo b > /proc/sysrq-trigger
  sleep 600
  exit 1
fi
if [ ! -e $S/retried ]; then
  touch $S/retried
  probe | sed 's/^/after_cut_/' > $S/after
  p after_cut_state "$(systemctl is-system-running)" >> $S/after
  mkdir -p /mnt/out && mount -o ro /dev/disk/by-label/pdout /mnt/out
  pydeclos switch --from /mnt/out --yes > $S/retry.log 2>&1
  status=$?
  if [ $status -ne 0 ]; then cat $S/cut $S/after $S/retry.log; exit $status; fi
  sleep 600
  exit 1
fi
cat $S/cut $S/after
probe
"""


@pytest.fixture(scope="module")
def switch_builds(tmp_path_factory: pytest.TempPathFactory) -> SwitchBuilds:
    return switch_builds_in(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def update_disk(switch_builds, tmp_path_factory: pytest.TempPathFactory):
    return make_update_disk(switch_builds.v2, "pdout", tmp_path_factory.mktemp("out") / "out.img")


def test_power_cut_during_the_update_then_retry(switch_builds, update_disk, tmp_path) -> None:
    from pydeclos.vm.qemu import VmOptions, run_exec
    from pydeclos.vm.target import image_of_generation

    image = tmp_path / "disk.raw"
    subprocess.run(["cp", "--sparse=always", str(image_of_generation(switch_builds.v1)),
                    str(image)], check=True)
    result = run_exec(image, SCRIPT, VmOptions(extra_disks=[update_disk], persist=True),
                      timeout=2000, console_log=tmp_path / "console.log")
    assert result.report.status == 0, result.report.stdout + result.report.stderr
    found = fields(result.report.stdout)
    assert found["writing_when_cut"] == "yes"
    assert found["after_cut_version"] == "1"
    assert found["after_cut_usr"] == "/dev/mapper/usr"
    assert found["after_cut_hello"] != "active"
    assert found["after_cut_state"] == "running"
    assert found["version"] == "2" and found["hello"] == "active"
