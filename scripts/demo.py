"""`make demo`: build examples/minimal into an A/B image, boot it, and check it from inside.

Needs root and the host tools (scripts/setup-host). Without them it says so and stops.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "minimal" / "system.py"
OUT = ROOT / "out" / "minimal"
PYDECLOS = [sys.executable, "-m", "pydeclos"]

# What the demo asks the booted machine, and how each answer is shown.
CHECKS = [
    ("hostname", "hostname"),
    ("/usr comes from", "findmnt -n -o SOURCE,FSTYPE /usr"),
    ("verity root hash", "dmsetup table usr | awk '{print $12}'"),
    ("partitions", "lsblk -nro PARTLABEL /dev/vda | grep . | tr '\\n' ' '"),
    ("user alice", "getent passwd alice"),
    ("sshd", "systemctl is-active ssh"),
    ("/srv/scratch", "findmnt -n -o FSTYPE,OPTIONS /srv/scratch"),
    ("/etc/hostname", "readlink /etc/hostname"),
    ("IMAGE_VERSION", ". /usr/lib/os-release; echo $IMAGE_VERSION"),
    ("system state", "systemctl is-system-running"),
]


def run(*args: str, capture: bool = False, shown: str = "") -> subprocess.CompletedProcess[str]:
    print(f"==> pydeclos {shown or ' '.join(args)}", flush=True)
    return subprocess.run([*PYDECLOS, *args], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE if capture else None)


def main() -> int:
    if os.geteuid() != 0:
        print("make demo builds a disk image with mkosi, which needs root: run `sudo make demo`.")
        return 1
    built = run("build", str(EXAMPLE), "-o", str(OUT), "--json", capture=True)
    if built.returncode != 0:
        return built.returncode
    result = json.loads(built.stdout)
    print(f"built generation {result['version']} in {result['total_seconds']:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in result['durations'].items())})")
    script = "; ".join(f"echo \"{label}\t$({command})\"" for label, command in CHECKS)
    booted = run("vm", result["paths"]["image"], "--timeout", "900", "--exec", script,
                 capture=True, shown=f"vm {result['paths']['image']} --exec <{len(CHECKS)} checks>")
    for line in booted.stdout.splitlines():
        label, _, answer = line.partition("\t")
        print(f"  {label:<18} {answer}")
    if booted.returncode != 0:
        return booted.returncode
    print(f"demo done: image and update artifacts in {OUT / str(result['version'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
