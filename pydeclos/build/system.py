"""`pydeclos build FILE`: evaluate the system file, lower it, build the tree.

The generation number is written into the configuration (`image.version`) before
lowering, so the tree, the image's os-release (`IMAGE_VERSION`) and the output directory
all carry the same number.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydeclos.build.generations import check_output_dir, reserve
from pydeclos.build.mirror import check_mirrors
from pydeclos.build.mkosi import CacheDirs, default_cache
from pydeclos.build.ownership import owned_directory
from pydeclos.build.pipeline import BuildResult, build_into, host_ready
from pydeclos.build.progress import Progress
from pydeclos.build.sudoers import check_sudoers

if TYPE_CHECKING:
    from pydeclos.modsys import Evaluation


def system_name(system_file: Path) -> str:
    """`examples/minimal/system.py` -> "minimal"; `web1.py` -> "web1"."""
    resolved = system_file.resolve()
    return resolved.parent.name if resolved.stem == "system" else resolved.stem


def default_output(system_file: Path) -> Path:
    return Path("out") / system_name(system_file)


def evaluate_for_build(system_file: Path, warn: Callable[[str], None] | None = None,
                    version: int | None = None) -> tuple[dict[str, Any], Evaluation]:
    """The evaluated configuration as plain data (assertions checked) and its evaluation,
    through the one pipeline of `pydeclos.system` that every verb uses; its warnings go to
    `warn`."""
    from pydeclos.system import evaluate_system as evaluate

    evaluation = evaluate(system_file, version=version)
    config = evaluation.to_data()
    if warn is not None:
        for warning in evaluation.warnings:
            warn(warning)
    return config, evaluation


def with_version(config: dict[str, Any], version: int) -> dict[str, Any]:
    """`config` with `image.version` replaced (for a configuration already evaluated)."""
    data = copy.deepcopy(config)
    data["image"]["version"] = version
    return data


def lower_to(config: dict[str, Any], tree: Path, evaluation: Evaluation | None = None) -> None:
    from pydeclos.lower import write_tree
    from pydeclos.system import lower_system

    write_tree(lower_system(config, evaluation), tree)


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
    out = (out or default_output(system_file)).resolve()
    check_output_dir(out)
    progress.phase("evaluate")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The tool checks wait on `mkosi --version`: they run beside the evaluation.
        ready = pool.submit(host_ready)
        config, evaluation = evaluate_for_build(system_file, warn=progress.warning)
        tools = ready.result()
    with reserve(out, version) as slot, owned_directory("pydeclos-tree-") as scratch:
        progress.phase("lower")
        tree = scratch / "tree"
        lower_to(with_version(config, slot.version), tree, evaluation)
        check_sudoers(tree)
        check_mirrors(tree)
        return build_into(tree, out, slot, progress=progress, verbose=verbose,
                          cache=cache or default_cache(), tools=tools)
