"""How long a clean build takes, and how long a rebuild after a config-only change takes.

    sudo .venv/bin/python benchmarks/build_rebuild.py [SYSTEM_FILE] [--warm-packages]

Clean: empty mkosi caches (incremental images, workspace and, unless --warm-packages, the
package cache, so downloads count). Rebuild: the same system plus one managed /etc file,
built on the caches the clean build left. The aim is a rebuild of at most 30 % of a clean
build. Everything lives in a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from pydeclos.build.mkosi import CacheDirs, default_cache
from pydeclos.build.progress import Progress
from pydeclos.build.system import build_system

ROOT = Path(__file__).resolve().parent.parent
AIM = 0.30


def changed_system(original: Path, directory: Path) -> Path:
    """A system file that imports `original` and adds one /etc file (a config-only change)."""
    system = directory / "system.py"
    etc = {"pydeclos-benchmark": {"text": f"changed at {time.time():.0f}\n"}}
    system.write_text(
        f"imports = [{str(original.resolve())!r}]\n"
        f"config = {{'environment': {{'etc': {etc!r}}}}}\n"
    )
    return system


def timed_build(system: Path, out: Path, cache: CacheDirs, label: str) -> float:
    print(f"--- {label}", flush=True)
    started = time.monotonic()
    result = build_system(system, out, progress=Progress(), cache=cache)
    seconds = time.monotonic() - started
    print(f"--- {label}: generation {result.version} in {seconds:.1f} s", flush=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", nargs="?", type=Path,
                        default=ROOT / "examples" / "minimal" / "system.py")
    parser.add_argument("--warm-packages", action="store_true",
                        help="reuse the shared package cache (leave downloads out of 'clean')")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pydeclos-bench-", dir="/var/tmp") as scratch:
        root = Path(scratch)
        cache = CacheDirs.under(root / "cache")
        if args.warm_packages:
            cache = CacheDirs(default_cache().packages, cache.incremental, cache.workspace,
                              cache.logs)
        out = root / "out"
        clean = timed_build(args.system, out, cache, "clean build")
        rebuild = timed_build(changed_system(args.system, root), out, cache,
                              "rebuild after an /etc change")
    ratio = rebuild / clean
    packages = "warm package cache" if args.warm_packages else "packages downloaded"
    print(f"clean build   {clean:7.1f} s  ({packages})")
    print(f"rebuild       {rebuild:7.1f} s  ({ratio:.0%} of clean; aim <= {AIM:.0%}: "
          f"{'met' if ratio <= AIM else 'missed'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
