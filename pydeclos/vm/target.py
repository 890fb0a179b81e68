"""What `pydeclos vm ARG` boots: a disk image, a build output, or a system file.

A system file is built first, unless the newest generation in its output directory was
built from exactly the tree it lowers to (then that image is booted as it is).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydeclos.vm.errors import ImageNotFoundError
from pydeclos.vm.qemu import check_image

MANIFEST = "generation.json"


def image_of_generation(directory: Path) -> Path:
    manifest = json.loads((directory / MANIFEST).read_text())
    return directory / str(manifest["artifacts"]["image"])


def image_in_output(directory: Path) -> Path | None:
    """The disk image of a generation directory, or of the newest one in an output dir."""
    from pydeclos.build.generations import latest

    if (directory / MANIFEST).is_file():
        return image_of_generation(directory)
    newest = latest(directory)
    if newest is not None and (newest / MANIFEST).is_file():
        return image_of_generation(newest)
    return None


def is_system_file(path: Path) -> bool:
    return path.suffix == ".py" or (path.is_dir() and (path / "system.py").is_file())


def up_to_date_image(system_file: Path, out: Path) -> Path | None:
    """The newest generation's image if it was built from what `system_file` lowers to now."""
    from pydeclos.build.generations import latest
    from pydeclos.build.ownership import owned_directory
    from pydeclos.build.pipeline import tree_digest
    from pydeclos.build.system import evaluate_for_build, lower_to, with_version

    newest = latest(out)
    if newest is None or not (newest / MANIFEST).is_file():
        return None
    manifest = json.loads((newest / MANIFEST).read_text())
    with owned_directory("pydeclos-tree-") as scratch:
        tree = scratch / "tree"
        config, evaluation = evaluate_for_build(system_file)
        lower_to(with_version(config, manifest["version"]), tree, evaluation)
        if tree_digest(tree) == manifest.get("tree_digest"):
            return newest / str(manifest["artifacts"]["image"])
    return None


def resolve_image(target: Path, quiet: bool = False) -> Path:
    """The disk image to boot for `target`, building a system file when needed."""
    if target.is_file() and not is_system_file(target):
        check_image(target)
        return target
    if target.is_dir() and not is_system_file(target):
        image = image_in_output(target)
        if image is None:
            raise ImageNotFoundError(
                f"{target} holds no pydeclos build (no generation.json in it or in a numbered "
                "subdirectory). Pass a disk image, an output directory of `pydeclos build`, "
                "or a system file."
            )
        check_image(image)
        return image
    if not target.exists():
        raise ImageNotFoundError(f"{target} does not exist")
    from pydeclos.build.progress import Progress
    from pydeclos.build.system import build_system, default_output

    system_file = target / "system.py" if target.is_dir() else target
    out = default_output(system_file)
    image = up_to_date_image(system_file, out)
    if image is not None:
        return image
    progress = Progress(quiet=quiet)
    try:
        result = build_system(system_file, out, progress=progress)
    except BaseException:
        progress.abort()
        raise
    return result.directory / str(result.artifacts["image"])
