"""The generation manifest, /usr/share/pydeclos/generation.json.

It travels inside /usr, so the running system can always say which generation it is and
what it contains; `switch` compares two manifests to plan which units to restart and which
/etc links to remove. It holds no timestamp, so the same configuration gives the same file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydeclos.lower.common import EXTRA, UNIT_DIR, as_list, canonical_json, section, sha256
from pydeclos.lower.etc import etc_entries
from pydeclos.lower.etcfiles import EtcFile
from pydeclos.lower.filetree import File, FileTree
from pydeclos.lower.mkosi_conf import kernel_command_line, packages, release, removed_packages
from pydeclos.lower.presets import presets
from pydeclos.lower.repart import layout
from pydeclos.lower.units import lower_drop_ins, lower_units
from pydeclos.lower.users import lower_users

MANIFEST = f"{EXTRA}/usr/share/pydeclos/generation.json"
FORMAT = 1


def config_hash(cfg: Mapping[str, Any]) -> str:
    """sha256 of the evaluated configuration in canonical JSON."""
    return sha256(canonical_json(cfg))


def unit_hashes(cfg: Mapping[str, Any]) -> dict[str, str]:
    """sha256 of every unit file and drop-in pydeclos writes, by path below the unit dir."""
    hashes = {}
    for lowering in (lower_units, lower_drop_ins, lower_users):
        for path, entry in lowering(cfg).items():
            if path.startswith(f"{UNIT_DIR}/") and isinstance(entry, File):
                hashes[path.removeprefix(f"{UNIT_DIR}/")] = sha256(entry.content)
    return dict(sorted(hashes.items()))


def manifest(cfg: Mapping[str, Any]) -> dict[str, Any]:
    image = section(cfg, "image")
    restart_triggers = {}
    for name, unit in sorted((section(cfg, "systemd").get("services") or {}).items()):
        triggers = as_list((unit or {}).get("restart_triggers"))
        if triggers and (unit or {}).get("enable", True):
            restart_triggers[f"{name}.service"] = sha256(canonical_json(triggers))
    etc = {}
    for path, entry in etc_entries(cfg).items():
        if isinstance(entry, EtcFile):
            etc[path] = {"sha256": sha256(entry.content), "mode": f"{entry.mode:04o}",
                         "user": entry.user, "group": entry.group}
        else:
            etc[path] = {"link": entry.target}
    return {
        "format": FORMAT,
        "image_id": image.get("id") or "pydeclos",
        "version": image.get("version", 1),
        "release": release(cfg),
        "layout": layout(cfg),
        "config_sha256": config_hash(cfg),
        "kernel_command_line": kernel_command_line(cfg),
        "packages": packages(cfg),
        "packages_removed": removed_packages(cfg),
        "units": unit_hashes(cfg),
        "presets": [f"{action} {unit}" for action, unit in presets(cfg)],
        "restart_triggers": restart_triggers,
        "etc": etc,
    }


def lower_manifest(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    text = json.dumps(manifest(cfg), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    tree.add_text(MANIFEST, text)
    return tree
