"""systemd units: services, sockets, timers, targets, paths and mounts, plus presets.

Every unit kind shares the same [Unit]/[Install] fields; each kind adds its own typed
fields and a raw `<kind>_config` escape hatch for keys pydeclos does not model. This module
renders every enabled unit into the sink `systemd.units` (file name -> text and install
links), as NixOS' `serviceToUnit` does; lowering writes those files verbatim, and the
preset file from `systemd.enabled`/`systemd.disabled`.

The module also checks references between units: a unit that wants, requires or enables
another unit that is neither declared here, shipped by systemd itself, nor listed in
`systemd.package_units` gets a warning, because systemd would silently ignore it.
"""

import re
from typing import Literal

from pydeclos import option
from pydeclos import types as t
from pydeclos.formats import canonical_json, render_unit, sha256, yes_no

# A raw setting: a string verbatim, an int in decimal, a bool as yes/no; a list repeats the
# key once per item (how systemd appends to list settings).
UNIT_SCALAR = bool | int | t.ini_value
UNIT_VALUE = UNIT_SCALAR | list[UNIT_SCALAR]
RAW = dict[t.ini_key, UNIT_VALUE]
# The directory of the scripts rendered from `script`, `pre_start` and `post_start`.
SCRIPTS = "lib/pydeclos/services"
# systemd's own default PATH for services; `path` puts its directories in front.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# option -> (file name, the Exec key it becomes)
SHELL_PHASES = {"pre_start": ("pre-start", "ExecStartPre"), "script": ("start", "ExecStart"),
                "post_start": ("post-start", "ExecStartPost")}
UNITS = list[t.unit_name]

# Units that systemd (and the base packages pydeclos always installs) ship in Debian, so
# referring to them never warns. Packages a module adds announce their own units through
# `systemd.package_units`.
SYSTEMD_UNITS = [
    "basic.target", "boot-complete.target", "default.target", "emergency.target",
    "getty.target", "getty-pre.target", "graphical.target", "halt.target",
    "local-fs.target", "local-fs-pre.target", "multi-user.target", "network.target",
    "network-online.target", "network-pre.target", "nss-lookup.target",
    "nss-user-lookup.target", "paths.target", "poweroff.target", "reboot.target",
    "remote-fs.target", "remote-fs-pre.target", "rescue.target", "shutdown.target",
    "sleep.target", "slices.target", "sockets.target", "soft-reboot.target",
    "swap.target", "sysinit.target", "time-set.target", "time-sync.target",
    "timers.target", "umount.target", "kexec.target", "final.target",
    "dbus.service", "dbus.socket", "getty@.service", "serial-getty@.service",
    "systemd-journald.service", "systemd-logind.service", "systemd-udevd.service",
    "systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.timer",
    "systemd-sysusers.service", "systemd-remount-fs.service", "systemd-fsck@.service",
    "systemd-networkd.service", "systemd-networkd-wait-online.service",
    "systemd-bless-boot.service", "systemd-boot-update.service",
    "systemd-boot-random-seed.service",
    "systemd-sysupdate.service", "systemd-sysupdate.timer", "systemd-repart.service",
    "systemd-machined.service", "systemd-user-sessions.service",
    "user@.service", "systemd-hostnamed.service", "systemd-timedated.service",
]

SUFFIXES = tuple(f".{suffix}" for suffix in t.UNIT_SUFFIXES)


def common_options(wanted_by: list[str]) -> dict:
    """The [Unit] and [Install] fields every unit kind has."""
    return {
        "enable": option(bool, default=True, description=(
            "Whether to write this unit at all. False drops it from the image, so other "
            "modules can turn off a unit a module declared.")),
        "description": option(t.ini_value, default="", description="Description= of the unit."),
        "after": option(UNITS, default=[], description="After=: units this one starts after."),
        "before": option(UNITS, default=[], description="Before=: units this one starts before."),
        "wants": option(UNITS, default=[], description=(
            "Wants=: units started along with this one (failure is tolerated).")),
        "requires": option(UNITS, default=[], description=(
            "Requires=: units started along with this one; their failure fails this one.")),
        "wanted_by": option(UNITS, default=wanted_by, description=(
            "WantedBy=: units that pull this one in once enabled (a `.wants/` link is "
            "shipped in the image, so no preset is needed).")),
        "required_by": option(UNITS, default=[], description="RequiredBy= (`.requires/` link)."),
        "unit_config": option(RAW, default={}, description=(
            "Raw [Unit] keys written verbatim, for what the typed fields do not cover; a "
            "list value repeats the key."), example={"ConditionPathExists": "/etc/foo"}),
    }


def service_options() -> dict:
    return {
        **common_options([]),
        "type": option(
            Literal["simple", "exec", "forking", "oneshot", "dbus", "notify", "notify-reload",
                    "idle"],
            default="simple", description="Type=: how systemd decides the service has started."),
        "exec_start": option(list[t.unit_line], default=[], description=(
            "ExecStart= command lines (systemd syntax, not a shell: quote with \"…\", write `$$` "
            "for a literal `$`, `%%` for `%`). Only `oneshot` services may have several; "
            "`script` is the shell alternative."),
            example=["/usr/bin/backup --all"]),
        "exec_start_pre": option(list[t.unit_line], default=[], description="ExecStartPre= commands."),
        "exec_start_post": option(list[t.unit_line], default=[], description=(
            "ExecStartPost= commands.")),
        "exec_reload": option(list[t.unit_line], default=[], description="ExecReload= commands."),
        "exec_stop": option(list[t.unit_line], default=[], description="ExecStop= commands."),
        "script": option(t.lines, default="", description=(
            "Shell commands that are the service (bash, `set -e`): written to "
            "/usr/lib/pydeclos/services/<name>/start, which ExecStart= runs. Instead of "
            "`exec_start`; a change restarts the service on `switch` (as `restart_triggers`)."),
            example="exec python3 -m http.server 8080"),
        "pre_start": option(t.lines, default="", description=(
            "Shell commands run before the service starts (ExecStartPre=, after any "
            "`exec_start_pre`), as root only if the service runs as root; written to "
            "/usr/lib/pydeclos/services/<name>/pre-start.")),
        "post_start": option(t.lines, default="", description=(
            "Shell commands run once the service has started (ExecStartPost=, after any "
            "`exec_start_post`); written to /usr/lib/pydeclos/services/<name>/post-start.")),
        "path": option(list[t.package | t.absolute_path], default=[], description=(
            "What the service's commands find on PATH. A Debian package name is installed "
            "in the image; Debian puts programs in /usr/bin and /usr/sbin, which are always "
            "on PATH, so a package adds no directory of its own. An absolute path is a "
            "directory put in front of systemd's default PATH "
            f"(`{DEFAULT_PATH}`)."), example=["curl", "/opt/app/bin"]),
        "environment": option(dict[t.variable_name, t.ini_value | t.between(None, None)],
                              default={}, description=(
            "Environment= variables, by name; each value is quoted for systemd (`\"`, `\\` "
            "and `%` escaped), so it arrives exactly as written. No `$` expansion happens.")),
        "restart": option(
            Literal["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort",
                    "always"],
            default="no", description="Restart=: when systemd restarts the service."),
        "restart_sec": option(t.duration | t.unsigned | None, default=None, description=(
            "RestartSec=: a time span (`5s`, `1min 30s`) or seconds as an int.")),
        "timeout_start_sec": option(t.duration | t.unsigned | None, default=None, description=(
            "TimeoutStartSec=: a time span, seconds as an int, or `infinity`.")),
        "timeout_stop_sec": option(t.duration | t.unsigned | None, default=None, description=(
            "TimeoutStopSec=: a time span, seconds as an int, or `infinity`.")),
        "state_directory": option(list[t.state_directory], default=[], description=(
            "StateDirectory=: directories under /var/lib that systemd creates for the "
            "service, owned by its user (`app` is /var/lib/app). systemd owns these paths: "
            "declare no tmpfiles rule or home for them."), example=["app"]),
        "user": option(t.user_name | None, default=None, description="User= the service runs as."),
        "group": option(t.group_name | None, default=None, description="Group= the service runs as."),
        "working_directory": option(t.absolute_path | None, default=None, description="WorkingDirectory=."),
        "private_tmp": option(bool, default=False, description="PrivateTmp=: a private /tmp."),
        "protect_system": option(Literal["", "true", "full", "strict"], default="", description=(
            "ProtectSystem=; empty leaves the key out. /usr is read-only on pydeclos images "
            "anyway; `strict` also protects /etc.")),
        "protect_home": option(bool, default=False, description="ProtectHome=: hide /home."),
        "no_new_privileges": option(bool, default=False, description="NoNewPrivileges=."),
        "dynamic_user": option(bool, default=False, description=(
            "DynamicUser=: run as a transient user allocated at start.")),
        "restart_triggers": option(list[str], default=[], description=(
            "Strings whose change makes `pydeclos switch` restart this service (for example "
            "the text of a configuration file it reads); hashed into the generation manifest.")),
        "service_config": option(RAW, default={}, description=(
            "Raw [Service] keys: a string verbatim, an int in decimal, a bool as `yes`/`no`, "
            "a list repeats the key once per item (systemd appends)."),
            example={"LimitNOFILE": 65536, "MemoryDenyWriteExecute": True,
                     "ReadWritePaths": ["/srv/app", "/var/cache/app"]}),
    }


def socket_options() -> dict:
    return {
        **common_options([]),
        "listen_stream": option(list[t.word], default=[], description="ListenStream= addresses."),
        "listen_datagram": option(list[t.word], default=[], description="ListenDatagram= addresses."),
        "accept": option(bool, default=False, description="Accept=: one service per connection."),
        "socket_config": option(RAW, default={}, description=(
            "Raw [Socket] keys written verbatim.")),
    }


def timer_options() -> dict:
    return {
        **common_options(["timers.target"]),
        "on_calendar": option(list[t.unit_line], default=[], description=(
            "OnCalendar= expressions (`daily`, `Mon *-*-* 04:00`; see systemd.time(7))."),
            example=["*-*-* 03:30"]),
        "on_boot_sec": option(t.duration | t.unsigned | None, default=None, description=(
            "OnBootSec=: a time span (`10min`) or seconds as an int.")),
        "persistent": option(bool, default=False, description=(
            "Persistent=: run at boot a trigger missed while the machine was off.")),
        "unit": option(t.unit_name | None, default=None, description=(
            "Unit= the timer starts; None means `<name>.service`.")),
        "timer_config": option(RAW, default={}, description=(
            "Raw [Timer] keys written verbatim.")),
    }


def path_options() -> dict:
    return {
        **common_options([]),
        "path_exists": option(list[t.absolute_path], default=[], description="PathExists= paths."),
        "path_changed": option(list[t.absolute_path], default=[], description="PathChanged= paths."),
        "path_modified": option(list[t.absolute_path], default=[], description="PathModified= paths."),
        "directory_not_empty": option(list[t.absolute_path], default=[], description=(
            "DirectoryNotEmpty= paths.")),
        "unit": option(t.unit_name | None, default=None, description=(
            "Unit= to activate; None means `<name>.service`.")),
        "path_config": option(RAW, default={}, description=(
            "Raw [Path] keys written verbatim.")),
    }


def mount_options() -> dict:
    return {
        **common_options([]),
        "what": option(t.matching(r"[^\s\x00-\x1f\x7f\"'\\]*", "a device without spaces or quotes",
                                  "tmpfs"),
                       default="", description="What=: the device, or `tmpfs`, etc."),
        "type": option(t.matching(r"[a-z0-9._-]*", "a file system type such as 'ext4'", "ext4"),
                       default="", description="Type=: the file system type."),
        "options": option(list[t.mount_option], default=[], description="Options=, joined with commas."),
        "mount_config": option(RAW, default={}, description=(
            "Raw [Mount] keys written verbatim.")),
    }


tmpfiles_entry_options = {
    "mode": option(t.file_mode | None, default=None, description=(
        "Mode (`0755`); None writes `-`, tmpfiles' default for the type.")),
    "user": option(t.user_name | None, default=None, description="Owner; None means root."),
    "group": option(t.group_name | None, default=None, description="Group; None means root."),
    "age": option(t.tmpfiles_age | None, default=None, description=(
        "Age after which systemd-tmpfiles-clean removes contents (`10d`); None never.")),
    "argument": option(t.tmpfiles_argument, default="", description=(
        "The type's argument (a link target for `L`, content for `f`/`w`); `%` is written "
        "as `%%`, so it is not a specifier.")),
}

def swap_options() -> dict:
    return {
        **common_options(["swap.target"]),
        "priority": option(t.between(-1, 32767) | None, default=None, description=(
            "Priority= of the swap space (higher is used first); None is the kernel's.")),
        "options": option(list[t.mount_option], default=[], description=(
            "Options=, joined with commas (e.g. `discard`).")),
        "swap_config": option(RAW, default={}, description="Raw [Swap] keys."),
    }


unit_file_options = {
    "enable": option(bool, default=True, description="Whether to ship this unit file."),
    "text": option(str, default="", description="The whole unit file."),
    "wanted_by": option(UNITS, default=[], description="Units whose `.wants/` link it gets."),
    "required_by": option(UNITS, default=[], description=(
        "Units whose `.requires/` link it gets.")),
    "restart_triggers": option(list[str], default=[], description=(
        "Strings whose change makes `pydeclos switch` restart the unit (hashed into the "
        "generation manifest).")),
}

# Option name → unit suffix.
KINDS = {"services": ".service", "sockets": ".socket", "timers": ".timer",
         "targets": ".target", "paths": ".path", "mounts": ".mount", "swaps": ".swap"}


options = {"systemd": {
    "services": option(dict[t.unit_prefix, t.submodule(service_options())], default={}, description=(
        "Services, by unit name without `.service`.")),
    "sockets": option(dict[t.unit_prefix, t.submodule(socket_options())], default={}, description=(
        "Sockets, by unit name without `.socket`.")),
    "timers": option(dict[t.unit_prefix, t.submodule(timer_options())], default={}, description=(
        "Timers, by unit name without `.timer`.")),
    "targets": option(dict[t.unit_prefix, t.submodule(common_options([]))], default={}, description=(
        "Targets, by unit name without `.target`.")),
    "paths": option(dict[t.unit_prefix, t.submodule(path_options())], default={}, description=(
        "Path units, by unit name without `.path`.")),
    "mounts": option(dict[t.absolute_path, t.submodule(mount_options())], default={}, description=(
        "Mount units, by mount point (e.g. `/srv/data`); prefer `file_systems` for ordinary "
        "mounts.")),
    "swaps": option(dict[t.absolute_path, t.submodule(swap_options())], default={}, description=(
        "Swap units, by the device or file (`/dev/vdb2`, `/var/swapfile`); prefer "
        "`swap_devices` and `zram_swap`, which render into this.")),
    "enabled": option(UNITS, default=[], description=(
        "Units to enable through the preset file (full names, e.g. `ssh.service`): the way to "
        "switch on units that packages ship."), example=["ssh.service"]),
    "disabled": option(UNITS, default=[], description=(
        "Units to disable through the preset file, although their package enables them.")),
    "masked": option(UNITS, default=[], description=(
        "Units to mask (linked to /dev/null): they cannot start, even as a dependency.")),
    "package_units": option(UNITS, default=[], description=(
        "Units that packages in the image ship (full names). Only used to check references: "
        "wanting or enabling a unit that is neither declared, part of systemd, nor listed here "
        "gives a warning. Modules that add a package list its units here.")),
    "drop_ins": option(dict[t.unit_name, dict[t.drop_in_name, t.lines]], default={}, description=(
        "Drop-in files that change units, packaged or declared, without replacing them: by "
        "full unit name (templates allowed), then drop-in name; written as "
        "/usr/lib/systemd/system/<unit>.d/<name>.conf."),
        example={"nginx.service": {"limits": "[Service]\nLimitNOFILE=65536\n"}}),
    "tmpfiles": {
        "settings": option(
            dict[t.absolute_path, dict[t.tmpfiles_type, t.submodule(tmpfiles_entry_options)]],
            default={}, description=(
                "Typed tmpfiles.d entries, by path, then line type (tmpfiles.d(5)): one owner "
                "per path, so two modules that disagree about a path are a conflict naming "
                "both lines, never two lines systemd-tmpfiles would call duplicates. Users' "
                "homes are entries here too, at mk_default priority: an entry you declare for "
                "a home's path replaces the home's line. Written to "
                "/usr/lib/tmpfiles.d/pydeclos-settings.conf."),
            example={"/srv/www": {"d": {"mode": "0755", "user": "www-data",
                                        "group": "www-data"}}}),
        "rules": option(list[t.tmpfiles_rule], default=[], description=(
            "systemd-tmpfiles lines, verbatim (see tmpfiles.d(5)); written to "
            "/usr/lib/tmpfiles.d/pydeclos-rules.conf. Prefer `settings`; a rule for a path "
            "that `settings` also has is an error."),
            example=["d /srv/www 0755 www-data www-data -"]),
    },
    "units": option(dict[t.unit_file, t.submodule(unit_file_options)], default={}, description=(
        "Unit files as shipped in /usr/lib/systemd/system, by file name: the sink the typed "
        "`systemd.services`, `.sockets`, ... render into, and what lowering writes. Set it "
        "directly only for a unit the typed options cannot express."),
        example={"hello.service": {"text": "[Service]\nExecStart=/bin/true\n",
                                   "wanted_by": ["multi-user.target"]}}),
}}


def escape_path(path: str) -> str:
    """`systemd-escape --path`: `/srv/my-data` -> `srv-my\x2ddata`, `/` -> `-`."""
    stripped = path.strip("/")
    if not stripped:
        return "-"

    def escape(char: str, first: bool) -> str:
        if char.isascii() and (char.isalnum() or char in ":_" or (char == "." and not first)):
            return char
        return "".join(f"\\x{byte:02x}" for byte in char.encode())

    return "".join("-" if c == "/" else escape(c, i == 0) for i, c in enumerate(stripped))


def full_name(kind: str, name: str) -> str:
    """The unit file name of `systemd.<kind>.<name>`."""
    if kind in ("mounts", "swaps"):
        return f"{escape_path(name)}{KINDS[kind]}"
    return name + KINDS[kind]


def is_known(unit: str, known: set[str]) -> bool:
    if unit in known:
        return True
    match = re.fullmatch(r"(.+@)[^.]*(\.[a-z]+)", unit)
    return bool(match and match.group(1) + match.group(2) in known)


def unit_value(value) -> str:
    """A typed setting as systemd reads it: bools as yes/no, ints in decimal."""
    if isinstance(value, bool):
        return yes_no(value)
    return str(value)


def raw(settings) -> list[tuple[str, str]]:
    """`*_config` keys; a list value becomes the key repeated."""
    entries = []
    for key in sorted(settings):
        value = settings[key]
        items = value if isinstance(value, (list, tuple)) else [value]
        entries += [(key, unit_value(item)) for item in items]
    return entries


def render_unit_section(unit, extra) -> list[tuple[str, str]]:
    entries = []
    if unit.description:
        entries.append(("Description", unit.description))
    for field, key in (("after", "After"), ("before", "Before"), ("wants", "Wants"),
                       ("requires", "Requires")):
        if getattr(unit, field):
            entries.append((key, " ".join(getattr(unit, field))))
    return entries + extra + raw(unit.unit_config)


def quote_environment(name: str, value: str) -> str:
    """`Environment="NAME=value"` with systemd's quoting and `%` escaped."""
    quoted = f"{name}={value}".replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{quoted}"'


def script_file(name: str, phase: str) -> str:
    """Where `systemd.services.<name>.<phase>` is written, relative to /usr (a `\\` of an
    escaped unit name is not a file name character there)."""
    return f"{SCRIPTS}/{name.replace(chr(92), '-')}/{SHELL_PHASES[phase][0]}"


def render_script(name: str, phase: str, body: str) -> str:
    return (f"#!/bin/bash\n# Generated by pydeclos from systemd.services.{name}.{phase}.\n"
            f"set -e\n{body.rstrip()}\n")


def scripts(name: str, service) -> dict[str, str]:
    """{path under /usr: text} of the service's shell phases that are set."""
    return {script_file(name, phase): render_script(name, phase, getattr(service, phase))
            for phase in SHELL_PHASES if getattr(service, phase).strip()}


def service_path(service) -> str | None:
    """PATH for a service with `path`: its directories before systemd's default."""
    if not service.path:
        return None
    directories = [entry for entry in service.path if entry.startswith("/")]
    return ":".join([*dict.fromkeys(directories), DEFAULT_PATH])


def render_service(name: str, service) -> list[tuple[str, str]]:
    entries = [("Type", service.type)]
    commands = {key: [] for _, key in SHELL_PHASES.values()}
    for field, key in (("exec_start_pre", "ExecStartPre"), ("exec_start", "ExecStart"),
                       ("exec_start_post", "ExecStartPost")):
        commands[key] += getattr(service, field)
    for phase, (_, key) in SHELL_PHASES.items():
        if getattr(service, phase).strip():
            commands[key].append(f"/usr/{script_file(name, phase)}")
    for key in ("ExecStartPre", "ExecStart", "ExecStartPost"):
        entries += [(key, command) for command in commands[key]]
    for field, key in (("exec_reload", "ExecReload"), ("exec_stop", "ExecStop")):
        entries += [(key, command) for command in getattr(service, field)]
    environment = {name: str(value) for name, value in service.environment.items()}
    if (path := service_path(service)) is not None:
        environment.setdefault("PATH", path)
    entries += [("Environment", quote_environment(variable, environment[variable]))
                for variable in sorted(environment)]
    if service.restart != "no":
        entries.append(("Restart", service.restart))
    for field, key in (("restart_sec", "RestartSec"), ("timeout_start_sec", "TimeoutStartSec"),
                       ("timeout_stop_sec", "TimeoutStopSec")):
        if getattr(service, field) is not None:
            entries.append((key, unit_value(getattr(service, field))))
    for field, key in (("user", "User"), ("group", "Group"),
                       ("working_directory", "WorkingDirectory")):
        if getattr(service, field):
            entries.append((key, getattr(service, field)))
    if service.state_directory:
        entries.append(("StateDirectory", " ".join(service.state_directory)))
    if service.protect_system:
        entries.append(("ProtectSystem", service.protect_system))
    for field, key in (("private_tmp", "PrivateTmp"), ("protect_home", "ProtectHome"),
                       ("no_new_privileges", "NoNewPrivileges"), ("dynamic_user", "DynamicUser")):
        if getattr(service, field):
            entries.append((key, yes_no(True)))
    return entries + raw(service.service_config)


def render_socket(socket) -> list[tuple[str, str]]:
    entries = [("ListenStream", a) for a in socket.listen_stream]
    entries += [("ListenDatagram", a) for a in socket.listen_datagram]
    if socket.accept:
        entries.append(("Accept", yes_no(True)))
    return entries + raw(socket.socket_config)


def render_timer(timer) -> list[tuple[str, str]]:
    entries = [("OnCalendar", spec) for spec in timer.on_calendar]
    if timer.on_boot_sec is not None:
        entries.append(("OnBootSec", unit_value(timer.on_boot_sec)))
    if timer.persistent:
        entries.append(("Persistent", yes_no(True)))
    if timer.unit:
        entries.append(("Unit", timer.unit))
    return entries + raw(timer.timer_config)


def render_path(path) -> list[tuple[str, str]]:
    entries = []
    for field, key in (("path_exists", "PathExists"), ("path_changed", "PathChanged"),
                       ("path_modified", "PathModified"),
                       ("directory_not_empty", "DirectoryNotEmpty")):
        entries += [(key, p) for p in getattr(path, field)]
    if path.unit:
        entries.append(("Unit", path.unit))
    return entries + raw(path.path_config)


def render_mount(where: str, mount) -> list[tuple[str, str]]:
    entries = [("What", mount.what), ("Where", where)]
    if mount.type:
        entries.append(("Type", mount.type))
    if mount.options:
        entries.append(("Options", ",".join(mount.options)))
    return entries + raw(mount.mount_config)


def render_swap(what: str, swap) -> list[tuple[str, str]]:
    entries = [("What", what)]
    if swap.priority is not None:
        entries.append(("Priority", str(swap.priority)))
    if swap.options:
        entries.append(("Options", ",".join(swap.options)))
    return entries + raw(swap.swap_config)


# kind -> (section heading, body renderer); targets have no section of their own.
BODIES = {
    "services": ("Service", render_service),
    "sockets": ("Socket", lambda name, unit: render_socket(unit)),
    "timers": ("Timer", lambda name, unit: render_timer(unit)),
    "targets": (None, lambda name, unit: []),
    "paths": ("Path", lambda name, unit: render_path(unit)),
    "mounts": ("Mount", render_mount),
    "swaps": ("Swap", render_swap),
}


def render(kind: str, name: str, unit) -> dict:
    """The `systemd.units` entry of one typed unit."""
    triggers = list(getattr(unit, "restart_triggers", []))
    if kind == "services":
        # A changed script changes the unit, so `switch` reports and restarts it.
        triggers += [text for _, text in sorted(scripts(name, unit).items())]
    extra = [("X-Restart-Triggers", sha256(canonical_json(triggers)))] if triggers else []
    heading, body = BODIES[kind]
    sections = [("Unit", render_unit_section(unit, extra))]
    if heading:
        sections.append((heading, body(name, unit)))
    return {"text": render_unit(sections), "wanted_by": list(unit.wanted_by),
            "required_by": list(unit.required_by), "restart_triggers": triggers}


def check_names(systemd) -> list[dict]:
    """A unit's name is written without its suffix (the types check the characters)."""
    found = []
    for kind, suffix in KINDS.items():
        for name in getattr(systemd, kind):
            if kind not in ("mounts", "swaps") and name.endswith(suffix):
                found.append({"assertion": False,
                              "options": [t.entry_path(f"systemd.{kind}", name)],
                              "message": f"systemd.{kind}.{name}: drop the `{suffix}` suffix: "
                                         f"write systemd.{kind}.{name[: -len(suffix)]}."})
    return found


def check_services(services) -> list[dict]:
    """A service systemd would refuse to start is an eval-time error, not a boot failure."""
    errors = []
    for name, service in services.items():
        if not service.enable:
            continue
        where = f"systemd.services.{name}.exec_start"
        entry = t.entry_path("systemd.services", name)
        raw_exec = "ExecStart" in service.service_config
        script = bool(service.script.strip())
        if not service.exec_start and not script and not raw_exec \
                and service.type != "oneshot":
            errors.append((entry, f"{where} is empty: systemd refuses a `{service.type}` "
                                  "service without ExecStart=; give the command to run "
                                  "(exec_start) or a shell script (script)"))
        if script and (service.exec_start or raw_exec):
            errors.append((f"{entry}.script", f"systemd.services.{name} has both `script` and "
                                  "`exec_start` (or service_config.ExecStart); the script is the "
                                  "service's ExecStart=, so "
                                  "keep one (move the command into the script)"))
        if "PATH" in service.environment and service.path:
            errors.append((f"{entry}.path", f"systemd.services.{name} sets both environment.PATH and "
                                  "`path`; `path` makes PATH, so list the directories there"))
        if len(service.exec_start) > 1 and service.type != "oneshot":
            errors.append((entry, f"{where} has {len(service.exec_start)} commands but type is "
                                  f"`{service.type}`; only `oneshot` services may have several "
                                  "(set type = \"oneshot\" or chain them in a script)"))
    return [{"assertion": False, "message": message, "options": [entry]}
            for entry, message in errors]


def render_tmpfiles(settings) -> str:
    lines = ["# Generated by pydeclos from systemd.tmpfiles.settings."]
    for path in sorted(settings):
        for kind in sorted(settings[path]):
            entry = settings[path][kind]
            fields = [kind, path, entry.mode, entry.user, entry.group, entry.age]
            line = " ".join(field or "-" for field in fields)
            if entry.argument:
                line += " " + entry.argument.replace("%", "%%")
            lines.append(line)
    return "\n".join(lines) + "\n"


def rule_path(rule: str) -> str:
    """The path of a verbatim tmpfiles line (its second field)."""
    fields = rule.split()
    return fields[1] if len(fields) > 1 else ""


def check_tmpfiles(tmpfiles) -> list[dict]:
    """A path has one owner: a verbatim rule may not repeat a typed entry's path."""
    return [{"assertion": False,
             "options": ["systemd.tmpfiles.rules", t.entry_path("systemd.tmpfiles.settings", path)],
             "message": f"systemd.tmpfiles.rules has a line for {path}, which "
                        "systemd.tmpfiles.settings (or a user's home) also declares; "
                        "systemd-tmpfiles would ignore one of them as a duplicate. Keep one: "
                        f'move the rule to systemd.tmpfiles.settings."{path}"'}
            for path in sorted({rule_path(rule) for rule in tmpfiles.rules}
                               & set(tmpfiles.settings))]


def check_presets(systemd, declared: set[str]) -> list[dict]:
    """A unit is enabled or disabled, not both; a masked unit is not also declared."""
    errors = []
    for unit in sorted(set(systemd.enabled) & set(systemd.disabled)):
        errors.append({"assertion": False, "options": ["systemd.enabled", "systemd.disabled"],
                       "message": f"{unit} is both in systemd.enabled and in systemd.disabled; "
                                  "list it in only one of the two"})
    for unit in sorted(set(systemd.masked) & declared):
        errors.append({"assertion": False, "options": ["systemd.masked"],
                       "message": f"{unit} is both declared and in systemd.masked; remove it "
                                  "from systemd.masked or disable the unit"})
    return errors


def references(systemd):
    """(where, unit) pairs for every strong reference from one unit to another."""
    for kind in KINDS:
        for name, unit in getattr(systemd, kind).items():
            if not unit.enable:
                continue
            for field in ("wants", "requires", "wanted_by", "required_by"):
                for target in getattr(unit, field):
                    yield f"systemd.{kind}.{name}.{field}", target
            if kind in ("timers", "paths"):
                yield f"systemd.{kind}.{name}.unit", unit.unit or f"{name}.service"
    for field in ("enabled", "disabled"):
        for target in getattr(systemd, field):
            yield f"systemd.{field}", target
    for target in systemd.drop_ins:
        yield "systemd.drop_ins", target


def config(cfg):
    systemd = cfg.systemd
    units = {full_name(kind, name): render(kind, name, unit)
             for kind in KINDS for name, unit in sorted(getattr(systemd, kind).items())
             if unit.enable}
    declared = set(units)
    known = declared | set(SYSTEMD_UNITS) | set(systemd.package_units)
    warnings = []
    for where, unit in references(systemd):
        if not is_known(unit, known):
            warnings.append(f"{where}: unit `{unit}` is not declared in systemd.* and no "
                            "package is known to ship it, so systemd will ignore the reference."
                            " Declare the unit, fix the name, or add it to "
                            "systemd.package_units if a package provides it.")
    files = {path: {"text": text, "mode": "0755"}
             for name, service in sorted(systemd.services.items()) if service.enable
             for path, text in scripts(name, service).items()}
    packages = [entry for name, service in sorted(systemd.services.items()) if service.enable
                for entry in service.path if not entry.startswith("/")]
    if systemd.tmpfiles.settings:
        files["lib/tmpfiles.d/pydeclos-settings.conf"] = {
            "text": render_tmpfiles(systemd.tmpfiles.settings)}
    if systemd.tmpfiles.rules:
        text = "\n".join(["# Generated by pydeclos from systemd.tmpfiles.rules.",
                          *(rule.strip() for rule in systemd.tmpfiles.rules)]) + "\n"
        files["lib/tmpfiles.d/pydeclos-rules.conf"] = {"text": text}
    return {
        "systemd": {"units": units},
        "files": {"usr": files},
        "packages": packages,
        "assertions": check_names(systemd) + check_services(systemd.services)
        + check_presets(systemd, declared) + check_tmpfiles(systemd.tmpfiles),
        "warnings": warnings,
    }
