"""Files shipped under /usr: the sink other modules render their /usr files into.

Configuration that belongs to a /usr version but not to /etc (networkd and resolved
settings, sysctl.d, sysusers.d, tmpfiles.d, ...) is written here by the module that owns
the topic; lowering copies each entry to the image verbatim. The admin can still override
any of these files in /etc, as systemd's own search paths allow.
"""

from pydeclos import option
from pydeclos import types as t

file_options = {
    "enable": option(bool, default=True, description=(
        "Whether to ship this file; false removes an entry another module made.")),
    "text": option(str, default="", description="The file's content."),
    "mode": option(t.public_file_mode, default="0644", description=(
        "Octal file mode; readable by everyone, since /usr is public in every update.")),
}

options = {"files": {"usr": option(
    dict[t.usr_path, t.submodule(file_options)], default={}, description=(
        "Files under /usr, by path relative to /usr (e.g. `lib/sysctl.d/50-local.conf`). "
        "Modules write their rendered /usr files here. Besides these, /usr gets only what "
        "lowering makes of the other sinks: units, presets, the managed /etc store, the "
        "A/B update definitions and the generation manifest."),
    example={"lib/sysctl.d/50-local.conf": {"text": "vm.swappiness = 10\n"}})}}
