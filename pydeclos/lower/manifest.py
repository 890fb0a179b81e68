"""The generation manifest, /usr/share/pydeclos/generation.json.

It travels inside /usr, so the running system can always say which generation it is and
what it contains; `switch` compares two manifests to plan which units to restart and which
/etc links to remove. It holds no timestamp, so the same configuration gives the same file.
Hashes are taken of the tree lowering wrote, not recomputed from the configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydeclos.formats import canonical_json, sha256
from pydeclos.lower.common import ETC_STORE, EXTRA, UNIT_DIR
from pydeclos.lower.etc import etc_entries
from pydeclos.lower.etcfiles import EtcFile
from pydeclos.lower.filetree import File, FileTree
from pydeclos.lower.mkosi_conf import kernel_command_line, packages, removed_packages
from pydeclos.lower.presets import presets

MANIFEST = f"{EXTRA}/usr/share/pydeclos/generation.json"
FORMAT = 1


def tree_hash(tree: Mapping[str, Any]) -> str:
    """sha256 over every path, mode and content (or link target) of the tree: it changes
    exactly when what the configuration lowers to changes."""
    listing = {path: (f"{entry.mode:04o} {sha256(entry.content)}" if isinstance(entry, File)
                      else f"-> {entry.target}")
               for path, entry in tree.items() if path != MANIFEST}
    return sha256(canonical_json(listing))


def unit_hashes(tree: Mapping[str, Any]) -> dict[str, str]:
    """sha256 of every unit file and drop-in in the tree, by path below the unit dir."""
    return {path.removeprefix(f"{UNIT_DIR}/"): sha256(entry.content)
            for path, entry in sorted(tree.items())
            if path.startswith(f"{UNIT_DIR}/") and isinstance(entry, File)}


def manifest(cfg: Mapping[str, Any], tree: Mapping[str, Any]) -> dict[str, Any]:
    image = cfg["image"]
    units = cfg["systemd"]["units"]
    restart_triggers = {name: sha256(canonical_json(list(unit["restart_triggers"])))
                        for name, unit in sorted(units.items())
                        if unit["enable"] and unit["restart_triggers"]}
    etc: dict[str, Any] = {}
    for path, entry in etc_entries(cfg).items():
        if isinstance(entry, EtcFile):
            stored = tree[f"{EXTRA}/{ETC_STORE}/{path}"]
            assert isinstance(stored, File)
            etc[path] = {"sha256": sha256(stored.content), "mode": f"{stored.mode:04o}",
                         "user": entry.user, "group": entry.group}
        else:
            etc[path] = {"link": entry.target}
    return {
        "format": FORMAT,
        "image_id": image["id"],
        "version": image["version"],
        "release": image["release"],
        "layout": image["layout"],
        "config_sha256": tree_hash(tree),
        "kernel_command_line": kernel_command_line(cfg),
        "packages": packages(cfg),
        "packages_removed": removed_packages(cfg),
        "units": unit_hashes(tree),
        "presets": [f"{action} {unit}" for action, unit in presets(cfg)],
        "restart_triggers": restart_triggers,
        "etc": etc,
    }


def lower_manifest(cfg: Mapping[str, Any], tree: Mapping[str, Any]) -> FileTree:
    result = FileTree()
    text = json.dumps(manifest(cfg, tree), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    result.add_text(MANIFEST, text)
    return result
