"""`pydeclos.on_machine` -> the `pydeclos` command in /usr/bin.

Only the launcher is part of the tree: the pydeclos source it runs is added under
/usr/lib/pydeclos by `pydeclos build` (build/self_copy.py), so the tree stays a pure
function of the configuration and the image holds the pydeclos that built it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.lower.common import EXTRA, section
from pydeclos.lower.filetree import File, FileTree

LAUNCHER = f"{EXTRA}/usr/bin/pydeclos"
SOURCE_DIR = "/usr/lib/pydeclos"

LAUNCHER_TEXT = f"""\
#!/usr/bin/python3 -I
# pydeclos, as shipped in this /usr by the pydeclos that built the image.
import sys

sys.path.insert(0, "{SOURCE_DIR}")
sys.dont_write_bytecode = True  # /usr is read-only

from pydeclos.cli import main

main()
"""


def lower_on_machine(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    if section(cfg, "pydeclos").get("on_machine"):
        tree.add(LAUNCHER, File(LAUNCHER_TEXT.encode(), 0o755))
    return tree
