"""Virtual console keyboard layout.

The kernel's built-in layout is `us`, so that needs nothing. Debian does not ship
systemd-vconsole-setup (it leaves the console to console-setup), so for any other layout
this module installs the keymaps (console-data) and `loadkeys` (kbd) and loads the keymap at
boot with a small service. A keymap that fails to load leaves the `us` layout; it never
fails the boot. /etc/vconsole.conf names the keymap either way.
"""

from pydeclos import option
from pydeclos import types as t

options = {"console": {
    "keymap": option(t.keymap, default="us", description=(
        "Console keymap, as named in /usr/share/keymaps (`de-latin1`, `fr`, `uk`, …)."),
        example="de-latin1"),
}}


def config(cfg):
    keymap = cfg.console.keymap
    etc = {"environment": {"etc": {"vconsole.conf": {"text": f"KEYMAP={keymap}\n"}}}}
    if keymap == "us":
        return etc
    return {
        **etc,
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
