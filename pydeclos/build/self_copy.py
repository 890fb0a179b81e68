"""The pydeclos that runs the build, as an extra tree for the image (`pydeclos.on_machine`).

When the build tree holds the `pydeclos` launcher (written by modules/system/pydeclos.py
into `files.usr`), the image gets
this very pydeclos under /usr/lib/pydeclos: the package's Python files and the standard
module library as `pydeclos/_stdlib` (where `library_dir` looks first), so `pydeclos` on
the machine is the version that built it. Nothing else of the host goes in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pydeclos
from pydeclos.library import library_dir
from pydeclos.lower.common import EXTRA

LAUNCHER = f"{EXTRA}/usr/bin/pydeclos"
SOURCE_DIR = "/usr/lib/pydeclos"  # the launcher's sys.path entry (modules/system/pydeclos.py)

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "_stdlib")


def wants_self(tree: Path) -> bool:
    return (tree / LAUNCHER).is_file()


def stage_self(destination: Path) -> Path:
    """Write `destination/usr/lib/pydeclos/pydeclos/…`; return `destination` (an extra tree)."""
    package = Path(pydeclos.__file__).resolve().parent
    target = destination / SOURCE_DIR.lstrip("/") / "pydeclos"
    shutil.copytree(package, target, ignore=IGNORED)
    shutil.copytree(library_dir(), target / "_stdlib", ignore=IGNORED)
    for path in [destination, *destination.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return destination


def extra_tree_options(tree: Path, scratch: Path) -> list[str]:
    """mkosi options that add this pydeclos to the image, if the tree asks for it."""
    if not wants_self(tree):
        return []
    return [f"--extra-tree={stage_self(scratch / 'pydeclos-self')}:/"]
