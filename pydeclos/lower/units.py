"""`systemd.units`, `systemd.drop_ins` and `systemd.masked` -> unit files in /usr.

Units are written to /usr/lib/systemd/system without an [Install] section; `wanted_by`
and `required_by` become static `.wants/`/`.requires/` links beside them. That way a unit
is active in exactly the /usr versions that declare it, with nothing to enable in /etc.
Masked units become /dev/null links in the same directory. The unit text itself is
rendered by modules/system/systemd.py from the typed `systemd.services`, `.timers`, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.lower.common import UNIT_DIR
from pydeclos.lower.filetree import FileTree, Symlink


def lower_units(cfg: Mapping[str, Any]) -> FileTree:
    """Unit files, their static dependency links, drop-ins and masks."""
    tree = FileTree()
    systemd = cfg["systemd"]
    units = systemd["units"]
    for filename in sorted(units):
        unit = units[filename]
        if not unit["enable"]:
            continue
        tree.add_text(f"{UNIT_DIR}/{filename}", unit["text"])
        for field, directory in (("wanted_by", "wants"), ("required_by", "requires")):
            for target in unit[field]:
                tree.add(f"{UNIT_DIR}/{target}.{directory}/{filename}", Symlink(f"../{filename}"))
    drop_ins = systemd["drop_ins"]
    for unit_name in sorted(drop_ins):
        for name in sorted(drop_ins[unit_name]):
            text = drop_ins[unit_name][name]
            tree.add_text(f"{UNIT_DIR}/{unit_name}.d/{name}.conf",
                          text if text.endswith("\n") else text + "\n")
    for masked in systemd["masked"]:
        tree.add(f"{UNIT_DIR}/{masked}", Symlink("/dev/null"))
    return tree
