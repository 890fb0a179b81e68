"""The two generations of tests/switch/systems, built once per test session into one OUT."""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SYSTEMS = Path(__file__).resolve().parent / "systems"


@dataclass(frozen=True)
class SwitchBuilds:
    out: Path
    v1: Path
    v2: Path


@functools.cache
def switch_builds_in(base: Path) -> SwitchBuilds:
    """Build v1 and v2 into `base`/switch-out (cached: the plan and VM tests share them)."""
    from pydeclos.build.system import build_system

    out = base / "switch-out"
    first = build_system(SYSTEMS / "v1.py", out, version=1)
    second = build_system(SYSTEMS / "v2.py", out, version=2)
    return SwitchBuilds(out, first.directory, second.directory)


@functools.cache
def third_build_in(base: Path) -> Path:
    """Generation 3 (a failing health check), in an OUT of its own so that the newest
    generation of the shared OUT stays 2 whichever test runs first."""
    from pydeclos.build.system import build_system

    return build_system(SYSTEMS / "v3.py", base / "switch-out-3", version=3).directory


@functools.cache
def fourth_build_in(base: Path) -> Path:
    """Generation 4 (generation 2 on Debian's generic kernel: another `uname -r`), in an OUT
    of its own for the same reason."""
    from pydeclos.build.system import build_system

    return build_system(SYSTEMS / "v4.py", base / "switch-out-4", version=4).directory


def update_disk(generation: Path, label: str, disk: Path) -> Path:
    """An ext4 disk image labelled `label` holding `generation`'s directory without its
    disk image: what an admin copies to a machine to switch it."""
    from pydeclos.switch.source import open_output

    image = open_output(generation).artifact("image")
    files = disk.with_name(disk.name + ".files")
    shutil.copytree(generation, files / generation.name,
                    ignore=lambda _, names: [n for n in names if image and n == image.name])
    subprocess.run(["mkfs.ext4", "-q", "-L", label, "-d", str(files), str(disk), "700M"],
                   check=True)
    shutil.rmtree(files)
    return disk
