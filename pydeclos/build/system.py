"""`pydeclos build FILE`: evaluate the system file, lower it, build the tree.

The generation number is written into the configuration (`image.version`) before
lowering, so the tree, the image's os-release (`IMAGE_VERSION`) and the output directory
all carry the same number.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from pydeclos.build.generations import check_free, next_version
from pydeclos.build.mkosi import CacheDirs, default_cache
from pydeclos.build.pipeline import BuildResult, build_tree, preflight
from pydeclos.build.progress import Progress


def system_name(system_file: Path) -> str:
    """`examples/minimal/system.py` -> "minimal"; `web1.py` -> "web1"."""
    resolved = system_file.resolve()
    return resolved.parent.name if resolved.stem == "system" else resolved.stem


def default_output(system_file: Path) -> Path:
    return Path("out") / system_name(system_file)


def evaluate_system(system_file: Path, version: int | None = None) -> dict[str, Any]:
    """The evaluated configuration as plain data (assertions checked), through the one
    pipeline of `pydeclos.system` that every verb uses."""
    from pydeclos.system import system_config

    config, _ = system_config(system_file, version=version)
    return config


def with_version(config: dict[str, Any], version: int) -> dict[str, Any]:
    """`config` with `image.version` replaced (for a configuration already evaluated)."""
    data = copy.deepcopy(config)
    data["image"]["version"] = version
    return data


def lower_to(config: dict[str, Any], tree: Path) -> None:
    from pydeclos.lower import write_tree
    from pydeclos.system import lower_system

    write_tree(lower_system(config), tree)


def build_system(
    system_file: Path,
    out: Path | None = None,
    version: int | None = None,
    *,
    progress: Progress | None = None,
    verbose: bool = False,
    cache: CacheDirs | None = None,
) -> BuildResult:
    """Evaluate, lower and build `system_file` into `out/<version>/`."""
    progress = progress or Progress(quiet=True)
    out = out or default_output(system_file)
    progress.phase("evaluate")
    if version is None:
        version = next_version(out)
    check_free(out, version)
    config = evaluate_system(system_file, version)
    cache = cache or default_cache()
    progress.phase("lower")
    with tempfile.TemporaryDirectory(prefix="pydeclos-tree-") as scratch:
        tree = Path(scratch) / "tree"
        lower_to(config, tree)
        tools = preflight(tree)
        return build_tree(tree, out, version, progress=progress, verbose=verbose,
                          cache=cache, tools=tools)
