"""Downtime of `pydeclos switch` by soft-reboot against a full reboot, in the same VM.

    sudo .venv/bin/python benchmarks/switch_downtime.py [--out OUT] [--console FILE]

OUT holds generations 1 and 2 of tests/switch/systems (built into a temporary directory
when --out is not given). One qemu process boots generation 1, then inside it:
`pydeclos switch` to 2 (soft-reboot), `systemctl reboot` (a second start of 2), `pydeclos
rollback` to 1, and `pydeclos switch --method reboot` to 2 again (its first start after a /usr
change, the fair comparison: both are switches). Downtime is from the moment
the old userspace is stopped (the last beat of a 0.1 s heartbeat the guest script keeps in
/var: after sysupdate, for the switch) until generation 2's service `swtest-hello` is active
again, read from the guest's wall clock (qemu's RTC follows the host's, so it is comparable
across the reboot, to about a second). The aim: soft-reboot downtime at most
25 % of a reboot's. Bytes transferred: the update artifacts sysupdate read. After each
activation the guest's slowest units (`systemd-analyze blame`) and the critical chain of
`swtest-hello` are printed too: where the downtime goes. The ratio compares the two
switches; the plain reboot, which finds the first-start work (ConditionNeedsUpdate= units)
done, is printed beside it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AIM = 0.25

SCRIPT = r"""
set -u
S=/var/lib/bench
mkdir -p $S
now() { date +%s.%N; }
active_at() { date -d "$(systemctl show -P ActiveEnterTimestamp --timestamp=us+utc swtest-hello)" +%s.%N; }
# The last heartbeat of the old userspace: when its processes were stopped (for both methods).
where_time_went() {
  echo "## $1: systemd-analyze blame (slowest 15, no devices)"
  systemd-analyze blame --no-pager | grep -v '\.device$' | head -15
  echo "## $1: critical chain of swtest-hello.service"
  systemd-analyze critical-chain --no-pager swtest-hello.service
}
heartbeat() { while :; do now > $S/alive.new && mv $S/alive.new $S/alive; sleep 0.1; done; }
if [ ! -e $S/stage ]; then
  echo switched > $S/stage
  mkdir -p /mnt/out && mount -o ro /dev/disk/by-label/pdout /mnt/out
  echo "switch_start $(now)" > $S/times
  heartbeat &
  pydeclos switch --from /mnt/out --yes > $S/switch.log 2>&1 || { cat $S/switch.log; exit 1; }
  sleep 600; exit 1
fi
if [ "$(cat $S/stage)" = switched ]; then
  echo "soft_down $(cat $S/alive)" >> $S/times
  echo "soft_up $(active_at)" >> $S/times
  where_time_went "after the soft-reboot" > $S/where
  echo rebooted > $S/stage
  heartbeat &
  systemctl reboot --no-block
  sleep 600; exit 1
fi
if [ "$(cat $S/stage)" = rebooted ]; then
  echo "reboot_down $(cat $S/alive)" >> $S/times
  echo "reboot_up $(active_at)" >> $S/times
  where_time_went "after the full reboot (second start)" >> $S/where
  # Back to 1, then to 2 again by a reboot: the first start of 2 after a /usr change, as a
  # switch with --method reboot pays it.
  echo rolledback > $S/stage
  pydeclos rollback --yes > $S/rollback.log 2>&1 || { cat $S/rollback.log; exit 1; }
  sleep 600; exit 1
fi
if [ "$(cat $S/stage)" = rolledback ]; then
  echo reboot-switched > $S/stage
  mount -o ro /dev/disk/by-label/pdout /mnt/out  # a boot and a soft-reboot since the first
  heartbeat &
  pydeclos switch --from /mnt/out --method reboot --yes > $S/switch2.log 2>&1 \
    || { cat $S/switch2.log; exit 1; }
  sleep 600; exit 1
fi
echo "reboot_switch_down $(cat $S/alive)" >> $S/times
echo "reboot_switch_up $(active_at)" >> $S/times
where_time_went "after the switch by reboot (first start)" >> $S/where
cat $S/times
echo "--- where the time went"
cat $S/where
"""


def build(out: Path) -> None:
    from pydeclos.build.system import build_system

    systems = ROOT / "tests" / "switch" / "systems"
    build_system(systems / "v1.py", out, version=1)
    build_system(systems / "v2.py", out, version=2)


def main() -> int:
    from pydeclos.switch.source import open_output
    from pydeclos.vm.qemu import VmOptions, run_exec
    from pydeclos.vm.target import image_of_generation

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="OUT holding generations 1 and 2")
    parser.add_argument("--console", type=Path,
                        help="keep the guest's serial console here (timestamps of each boot)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pydeclos-bench-", dir="/var/tmp") as scratch:
        root = Path(scratch)
        out = args.out or root / "out"
        if args.out is None:
            build(out)
        second = open_output(out / "2")
        files = root / "files"
        shutil.copytree(second.directory, files / "2", ignore=shutil.ignore_patterns("*.raw"))
        disk = root / "out.img"
        subprocess.run(["mkfs.ext4", "-q", "-L", "pdout", "-d", str(files), str(disk), "700M"],
                       check=True)
        image = root / "disk.raw"
        subprocess.run(["cp", "--sparse=always", str(image_of_generation(out / "1")), str(image)],
                       check=True)
        result = run_exec(image, SCRIPT, VmOptions(extra_disks=[disk], persist=True), timeout=2400,
                          console_log=args.console)
        if result.report.status != 0:
            print(result.report.stdout, result.report.stderr)
            return 1
        report, _, where = result.report.stdout.partition("--- where the time went")
        times = {k: float(v) for k, v in (line.split() for line in report.split("\n")
                                          if line.count(" ") == 1)}
        print(report.strip())
        print(where.strip())
        missing = {"switch_start", "soft_down", "soft_up", "reboot_down", "reboot_up",
                   "reboot_switch_down", "reboot_switch_up"} - set(times)
        if missing:
            print(f"the guest did not report {', '.join(sorted(missing))}")
            return 1
        soft = times["soft_up"] - times["soft_down"]
        full = times["reboot_up"] - times["reboot_down"]
        first = times["reboot_switch_up"] - times["reboot_switch_down"]
        total = times["soft_up"] - times["switch_start"]
        sent = sum((second.artifact(role) or Path("/dev/null")).stat().st_size
                   for role in ("usr", "usr_verity", "uki"))
        print(f"switch (sysupdate + soft-reboot) until the service answers: {total:.1f} s")
        print(f"downtime, soft-reboot: {soft:.1f} s")
        print(f"downtime, switch by reboot (first start of 2): {first:.1f} s")
        print(f"downtime, plain reboot (second start of 2): {full:.1f} s")
        print(f"bytes read by sysupdate: {sent / 2**20:.1f} MiB")
        ratio = soft / first
        print(f"soft-reboot / switch by reboot = {ratio:.0%} (aim: at most {AIM:.0%}); "
              f"against the plain reboot {soft / full:.0%}")
        return 0 if ratio <= AIM else 2


if __name__ == "__main__":
    sys.exit(main())
