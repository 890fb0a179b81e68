"""Virtual console keyboard layout.

The kernel's built-in layout is `us`, so that needs nothing. Debian does not ship
systemd-vconsole-setup (it leaves the console to console-setup), so for any other layout
this module installs the keymaps (console-data) and `loadkeys` (kbd) and loads the keymap at
boot with a small service. A keymap that fails to load leaves the `us` layout; it never
fails the boot. /etc/vconsole.conf names the keymap either way.

The name must be one of the release's console-data keymaps (pydeclos/data/<release>/
keymaps.txt), so a typo fails at eval rather than silently leaving `us` on the machine.
"""

from pydeclos import option
from pydeclos import types as t
from pydeclos.data import known_names, suggestions

options = {"console": {
    "keymap": option(t.keymap, default="us", description=(
        "Console keymap, as the image release's console-data names it in "
        "/usr/share/keymaps/i386 (`de-latin1`, `fr`, `uk`, `fi`, …)."),
        example="de-latin1"),
}}


def unknown_keymap(keymap: str, release: str) -> str | None:
    """Why `keymap` is not one the release ships, or None when it is (or there is no list)."""
    names = known_names(release, "keymaps")
    if names is None or keymap in names:
        return None
    close = suggestions(keymap, names)
    hint = (f"did you mean {', '.join(f'`{n}`' for n in close)}?" if close else
            "keymaps are named by country or language code and variant, such as `de-latin1`")
    return (f"console.keymap = {keymap!r} is not a keymap of Debian {release}'s console-data; "
            f"{hint} (the full list is /usr/share/keymaps/i386/*/ on a {release} machine "
            "with console-data installed)")


def config(cfg):
    keymap = cfg.console.keymap
    etc = {"environment": {"etc": {"vconsole.conf": {"text": f"KEYMAP={keymap}\n"}}}}
    problem = unknown_keymap(keymap, cfg.image.release)
    if problem:
        return {**etc, "assertions": [{"assertion": False, "options": ["console.keymap"],
                                       "message": problem}]}
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
