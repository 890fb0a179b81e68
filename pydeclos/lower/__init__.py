"""Lowering: the evaluated configuration (plain data) -> the mkosi build tree.

Every function here is pure and deterministic: the same configuration gives a
byte-identical `FileTree`, which `write_tree` writes atomically. Each option family has
its own module; `lower` only composes them. docs/lowering.md describes the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydeclos.lower.clock import lower_clock
from pydeclos.lower.etc import lower_etc
from pydeclos.lower.filetree import File, FileTree, Symlink, write_tree
from pydeclos.lower.kernel import lower_kernel
from pydeclos.lower.manifest import lower_manifest
from pydeclos.lower.mkosi_conf import lower_mkosi_conf
from pydeclos.lower.networking import lower_networking
from pydeclos.lower.on_machine import lower_on_machine
from pydeclos.lower.presets import lower_presets
from pydeclos.lower.repart import lower_repart
from pydeclos.lower.sysupdate import lower_sysupdate
from pydeclos.lower.tmpfiles import lower_tmpfiles
from pydeclos.lower.units import lower_drop_ins, lower_units
from pydeclos.lower.users import lower_users

__all__ = ["File", "FileTree", "Symlink", "lower", "write_tree", "LOWERINGS"]

LOWERINGS: tuple[Callable[[Mapping[str, Any]], FileTree], ...] = (
    lower_mkosi_conf,
    lower_repart,
    lower_units,
    lower_drop_ins,
    lower_presets,
    lower_users,
    lower_etc,
    lower_networking,
    lower_clock,
    lower_kernel,
    lower_tmpfiles,
    lower_sysupdate,
    lower_manifest,
    lower_on_machine,
)


def lower(config: Mapping[str, Any]) -> FileTree:
    """The whole build tree for an evaluated configuration."""
    tree = FileTree()
    for lowering in LOWERINGS:
        tree.merge(lowering(config))
    return tree
