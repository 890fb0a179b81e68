"""Virtual console keyboard layout.

The kernel's built-in layout is `us`; any other needs the keymaps from console-data and
`loadkeys` from kbd, which the module then installs.
"""

import re

from pydeclos import option

KEYMAP = re.compile(r"^[A-Za-z0-9_.-]+$")

options = {"console": {
    "keymap": option(str, default="us", description=(
        "Console keymap (vconsole.conf KEYMAP=)."), example="de-latin1"),
}}


def config(cfg):
    keymap = cfg.console.keymap
    result = {}
    if not KEYMAP.match(keymap):
        result["assertions"] = [{"assertion": False, "message": (
            f"console.keymap = {keymap!r} is not a keymap name (e.g. `us`, `de-latin1`)")}]
    if keymap != "us":
        result["packages"] = ["kbd", "console-data"]
    return result
