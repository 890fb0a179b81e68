"""What the transfer compression of one generation's update files costs and saves.

    .venv/bin/python benchmarks/payload.py OUT/<version> [--presets 0,3,6]

For the usr and verity transfer files of a built generation: the bytes a machine downloads
as built, and, for each xz preset, the size and the seconds `xz -T0 -<preset>` takes on
this machine, next to shipping the data part uncompressed. The UKI is reported as it is
(its size is the boot work's). Nothing in OUT is changed.
"""

from __future__ import annotations

import argparse
import json
import lzma
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("usr", "usr_verity")


def xz_size(data: Path, preset: str) -> tuple[int, float]:
    started = time.monotonic()
    with data.open("rb") as source:
        result = subprocess.run(["xz", "-T0", f"-{preset}", "-c"], stdin=source,
                                stdout=subprocess.PIPE, check=True)
    return len(result.stdout), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generation", type=Path)
    parser.add_argument("--presets", default="0,3,6")
    args = parser.parse_args()
    manifest = json.loads((args.generation / "generation.json").read_text())
    artifacts, sizes = manifest["artifacts"], manifest["sizes"]
    total = sum(sizes[role]["bytes"] for role in (*ROLES, "uki"))
    print(f"as built: usr {sizes['usr']['bytes'] / 1e6:.1f} MB, verity "
          f"{sizes['usr_verity']['bytes'] / 1e6:.1f} MB, UKI {sizes['uki']['bytes'] / 1e6:.1f} MB"
          f" = {total / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory(prefix="pydeclos-payload-", dir="/var/tmp") as scratch:
        for role in ROLES:
            raw = Path(scratch) / role
            raw.write_bytes(lzma.decompress((args.generation / artifacts[role]).read_bytes()))
            print(f"{role}: {raw.stat().st_size / 1e6:.1f} MB uncompressed (data part)")
            for preset in args.presets.split(","):
                size, seconds = xz_size(raw, preset)
                print(f"  xz -T0 -{preset:<3} {size / 1e6:7.1f} MB  {seconds:6.1f} s")
            raw.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
