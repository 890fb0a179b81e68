"""Virtual console keyboard layout.

The kernel's built-in layout is `us`, so that needs nothing. Debian does not ship
systemd-vconsole-setup (it leaves the console to console-setup), so for any other layout
this module installs the keymaps (console-data) and `loadkeys` (kbd) and loads the keymap at
boot with a small service. A keymap that fails to load leaves the `us` layout; it never
fails the boot.
"""

import re

from pydeclos import option

KEYMAP = re.compile(r"^[A-Za-z0-9_.-]+$")

options = {"console": {
    "keymap": option(str, default="us", description=(
        "Console keymap, as named in /usr/share/keymaps (`de-latin1`, `fr`, `uk`, …)."),
        example="de-latin1"),
}}


def config(cfg):
    keymap = cfg.console.keymap
    if not KEYMAP.match(keymap):
        return {"assertions": [{"assertion": False, "message": (
            f"console.keymap = {keymap!r} is not a keymap name (e.g. `us`, `de-latin1`)")}]}
    if keymap == "us":
        return {}
    return {
        "packages": ["kbd", "console-data"],
        "systemd": {"services": {"console-keymap": {
            "description": f"Load the console keymap {keymap}",
            "type": "oneshot",
            # `-`: a missing keymap is logged, but the unit (and the boot) does not fail.
            "exec_start": [f"-/usr/bin/loadkeys {keymap}"],
            "before": ["getty.target"],
            "wanted_by": ["multi-user.target"],
            "unit_config": {"ConditionPathExists": "/dev/tty0"},
            "service_config": {"RemainAfterExit": "yes"},
        }}},
    }
