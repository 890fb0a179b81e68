"""One build: check the host, run mkosi on a build tree, publish `OUT/<version>/`.

`build_tree` is the core and works on any mkosi build tree (tests use a hand-written one);
`build_system` evaluates and lowers a system file first (see `system.py` in this package).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydeclos.build import artifacts as art
from pydeclos.build.generations import Slot, check_output_dir, latest, reserve
from pydeclos.build.host import HostTools, check_host_tools, require_root
from pydeclos.build.initrd_cache import InitrdCache
from pydeclos.build.mirror import check_mirrors
from pydeclos.build.mkosi import (
    CacheDirs,
    build_command,
    classify_failure,
    default_cache,
    exclusive,
    incremental_dir,
    mkosi_usage,
    run_build,
    summary,
)
from pydeclos.build.ownership import owned_directory
from pydeclos.build.progress import Progress
from pydeclos.build.self_copy import extra_tree_options
from pydeclos.build.space import CACHE_NEEDED, Need, check_space, output_need

MANIFEST = "generation.json"
LOG = "build.log"
# Where lowering ships its own description of the system inside the image, if it does.
TREE_MANIFEST_DIR = Path("mkosi.extra/usr/share/pydeclos")


@dataclass
class BuildResult:
    """What `pydeclos build --json` prints."""

    version: int
    directory: Path
    image_id: str
    artifacts: dict[str, str | None]
    sizes: dict[str, dict[str, int]]
    usrhash: str | None
    durations: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    # How long mkosi itself ran; the rest of total_seconds is pydeclos' own work.
    mkosi_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "directory": str(self.directory),
            "image_id": self.image_id,
            "paths": {role: str(self.directory / name) for role, name in self.artifacts.items()
                      if name is not None},
            "sizes": self.sizes,
            "usrhash": self.usrhash,
            "durations": self.durations,
            "total_seconds": round(self.total_seconds, 1),
            "mkosi_seconds": round(self.mkosi_seconds, 1),
        }


def tree_digest(tree: Path) -> str:
    """A digest of every file (path, mode and content) in a build tree."""
    digest = hashlib.sha256()
    for path in sorted(tree.rglob("*")):
        relative = path.relative_to(tree).as_posix()
        if path.is_symlink():
            digest.update(f"L {relative} {os.readlink(path)}\n".encode())
        elif path.is_file():
            digest.update(f"F {relative} {path.stat().st_mode & 0o7777:o}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _tree_manifests(tree: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    directory = tree / TREE_MANIFEST_DIR
    if directory.is_dir():
        for path in sorted(directory.glob("*.json")):
            try:
                found[path.name] = json.loads(path.read_text())
            except ValueError:
                continue
    return found


def host_ready() -> HostTools:
    """What can fail before the tree exists: root, the tools."""
    require_root()
    tools = check_host_tools()
    # mkosi's --help (for its option spellings) is needed only when mkosi is started; asked
    # now, it runs while the system is lowered and the mirrors are checked.
    threading.Thread(target=mkosi_usage, args=(tools.mkosi,), daemon=True).start()
    return tools


def preflight(tree: Path) -> HostTools:
    """Everything that can fail before a byte is written: root, tools, mirrors."""
    tools = host_ready()
    check_mirrors(tree)
    return tools


def build_tree(
    tree: Path,
    out: Path,
    version: int | None = None,
    *,
    progress: Progress | None = None,
    verbose: bool = False,
    cache: CacheDirs | None = None,
    tools: HostTools | None = None,
) -> BuildResult:
    """Build the mkosi tree `tree` as generation `version` (default: the next) in `out`."""
    progress = progress or Progress(quiet=True)
    tree, out = tree.resolve(), out.resolve()
    require_root()
    check_output_dir(out)
    tools = tools or preflight(tree)
    with reserve(out, version) as slot:
        return build_into(tree, out, slot, progress=progress, verbose=verbose, cache=cache,
                          tools=tools)


def space_needs(out: Path, cache: CacheDirs) -> list[Need]:
    return [
        Need(cache.packages.parent, CACHE_NEEDED, "build cache",
             "set $PYDECLOS_CACHE to a directory on a larger disk"),
        Need(out, output_need(out, latest(out)), "output directory",
             "give -o a directory on a larger disk"),
    ]


def build_into(
    tree: Path,
    out: Path,
    slot: Slot,
    *,
    progress: Progress,
    verbose: bool,
    cache: CacheDirs | None,
    tools: HostTools,
) -> BuildResult:
    """Build `tree` into the claimed generation `slot` of `out` (see `generations.reserve`)."""
    version, stage = slot.version, slot.stage
    cache = cache or default_cache()
    needs = space_needs(out, cache)
    check_space(needs)
    cache.create()
    cache.prune_logs()
    info = summary(tree, tools)
    stem = f"{info.image_id}_{version}"
    log = cache.logs / f"{info.image_id}-{version}-{time.strftime('%Y%m%d-%H%M%S')}.log"

    with exclusive(cache, progress):
        progress.advance_to("install packages")
        check_space(needs)  # again: another build may have used the space while we waited
        incremental = incremental_dir(cache, info)
        command = build_command(tree, stage, version, tools, cache, incremental)
        initrd = InitrdCache.for_build(incremental, info, tree, tools.mkosi_version)
        # Owned like the tree directory: the next build sweeps it if this one is killed.
        with owned_directory("pydeclos-self-") as scratch:
            command[-1:-1] = extra_tree_options(tree, scratch) + initrd.options()
            mkosi_started = time.monotonic()
            status, lines = run_build(
                command, tools, log, progress, verbose, watch=needs, observe=initrd.observe,
            )
            mkosi_seconds = time.monotonic() - mkosi_started
    if status != 0:
        if not any(incremental.iterdir()):  # keep the slot for package sets that built
            incremental.rmdir()
        raise classify_failure(lines, status, log, info, tree)
    progress.advance_to("checksums")
    digests: dict[str, str] = {}
    found = art.collect(stage, stem, digests)
    art.write_checksums(stage, found, digests)
    shutil.copyfile(log, stage / LOG)
    total = progress.finish()
    result = BuildResult(
        version=version,
        directory=out / str(version),
        image_id=info.image_id,
        artifacts=found.as_dict(),
        sizes=art.file_sizes(stage, found),
        usrhash=art.usrhash(stage / found.uki),
        durations=dict(progress.durations),
        total_seconds=total,
        mkosi_seconds=mkosi_seconds,
    )
    art.write_json(stage / MANIFEST, {
        "version": version,
        "image_id": info.image_id,
        "distribution": info.distribution,
        "release": info.release,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mkosi_version": tools.mkosi_version,
        "tree_digest": tree_digest(tree),
        "usrhash": result.usrhash,
        "artifacts": result.artifacts,
        "sizes": result.sizes,
        "durations": result.durations,
        "mkosi_seconds": round(mkosi_seconds, 1),
        "system": _tree_manifests(tree),
    })
    return result
