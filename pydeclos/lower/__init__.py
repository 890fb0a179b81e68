"""Lowering: the sink options of an evaluated configuration -> the mkosi build tree.

Modules render every topic into a few sink options (docs/dev/contract.md lists them);
lowering only writes those sinks in the image's format. It holds no defaults and checks
nothing a type already checked. Every function here is pure and deterministic: the same
configuration gives a byte-identical `FileTree`, which `write_tree` writes atomically.
docs/lowering.md describes the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydeclos.lower.common import EXTRA
from pydeclos.lower.etc import lower_etc
from pydeclos.lower.files import lower_files
from pydeclos.lower.filetree import File, FileTree, Symlink, write_tree
from pydeclos.lower.manifest import lower_manifest
from pydeclos.lower.mkosi_conf import lower_mkosi_conf
from pydeclos.lower.presets import lower_presets
from pydeclos.lower.repart import lower_repart
from pydeclos.lower.sysupdate import lower_sysupdate
from pydeclos.lower.units import lower_units

__all__ = ["File", "FileTree", "Symlink", "lower", "write_tree", "LOWERINGS", "SINKS"]

# The option paths lowering reads; nothing else (tests/lower/test_sinks.py checks it).
SINKS = ("image", "packages", "packages_removed", "boot.kernel_params", "boot.initrd",
         "environment.etc", "files.usr", "systemd.units", "systemd.drop_ins", "systemd.enabled",
         "systemd.disabled", "systemd.masked")

LOWERINGS: tuple[Callable[[Mapping[str, Any]], FileTree], ...] = (
    lower_mkosi_conf,
    lower_repart,
    lower_sysupdate,
    lower_units,
    lower_presets,
    lower_etc,
    lower_files,
)


def lower(config: Mapping[str, Any]) -> FileTree:
    """The whole build tree for an evaluated configuration."""
    tree = FileTree()
    for lowering in LOWERINGS:
        tree.merge(lowering(config))
    tree.merge(lower_manifest(config, tree))
    check_public_usr(tree)
    return tree


def check_public_usr(tree: FileTree) -> None:
    """Everything under /usr is public in every update: a file there that not everyone may
    read was meant to be secret. The option types refuse such modes at the user's line, so
    this guard failing is a bug in a type or a module."""
    for path, entry in tree.items():
        if path.startswith(f"{EXTRA}/usr/") and isinstance(entry, File) \
                and not entry.mode & 0o004:
            raise ValueError(f"{path} would be shipped in the public /usr with mode "
                             f"{entry.mode:04o}: nothing private may go into the image")
