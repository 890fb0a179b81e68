"""`files.usr.<path>` -> the file at /usr/<path> in the image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.lower.common import EXTRA
from pydeclos.lower.filetree import File, FileTree


def lower_files(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    declared = cfg["files"]["usr"]
    for path in sorted(declared):
        spec = declared[path]
        if spec["enable"]:
            tree.add(f"{EXTRA}/usr/{path}", File(spec["text"].encode(), int(spec["mode"], 8)))
    return tree
