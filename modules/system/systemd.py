"""systemd units: services, sockets, timers, targets, paths and mounts, plus presets.

Every unit kind shares the same [Unit]/[Install] fields; each kind adds its own typed
fields and a raw `<kind>_config` escape hatch for keys pydeclos does not model. Lowering
writes one unit file per entry under /usr/lib/systemd/system and the presets file.

The module also checks references between units: a unit that wants, requires or enables
another unit that is neither declared here, shipped by systemd itself, nor listed in
`systemd.package_units` gets a warning, because systemd would silently ignore it.
"""

import re
from typing import Literal

from pydeclos import option
from pydeclos import types as t

UNIT_VALUE = str | list[str]

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
    "systemd-sysupdate.service", "systemd-sysupdate.timer", "systemd-repart.service",
    "systemd-machined.service", "systemd-user-sessions.service",
    "user@.service", "systemd-hostnamed.service", "systemd-timedated.service",
]

UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")
SUFFIXES = (".service", ".socket", ".timer", ".target", ".path", ".mount", ".swap",
            ".slice", ".scope", ".device", ".automount")


def common_options(wanted_by: list[str]) -> dict:
    """The [Unit] and [Install] fields every unit kind has."""
    return {
        "enable": option(bool, default=True, description=(
            "Whether to write this unit at all. False drops it from the image, so other "
            "modules can turn off a unit a module declared.")),
        "description": option(str, default="", description="Description= of the unit."),
        "after": option(list[str], default=[], description="After=: units this one starts after."),
        "before": option(list[str], default=[], description="Before=: units this one starts before."),
        "wants": option(list[str], default=[], description=(
            "Wants=: units started along with this one (failure is tolerated).")),
        "requires": option(list[str], default=[], description=(
            "Requires=: units started along with this one; their failure fails this one.")),
        "wanted_by": option(list[str], default=wanted_by, description=(
            "WantedBy=: units that pull this one in once enabled (a `.wants/` link is "
            "shipped in the image, so no preset is needed).")),
        "required_by": option(list[str], default=[], description="RequiredBy= (`.requires/` link)."),
        "unit_config": option(dict[str, UNIT_VALUE], default={}, description=(
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
        "exec_start": option(list[str], default=[], description=(
            "ExecStart= command lines (systemd syntax, not a shell: quote with \"…\", write `$$` "
            "for a literal `$`, `%%` for `%`). Only `oneshot` services may have several."),
            example=["/usr/bin/backup --all"]),
        "exec_start_pre": option(list[str], default=[], description="ExecStartPre= commands."),
        "exec_reload": option(list[str], default=[], description="ExecReload= commands."),
        "exec_stop": option(list[str], default=[], description="ExecStop= commands."),
        "environment": option(dict[str, str], default={}, description="Environment= variables."),
        "restart": option(
            Literal["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort",
                    "always"],
            default="no", description="Restart=: when systemd restarts the service."),
        "restart_sec": option(str | None, default=None, description="RestartSec= (e.g. `5s`)."),
        "user": option(str | None, default=None, description="User= the service runs as."),
        "group": option(str | None, default=None, description="Group= the service runs as."),
        "working_directory": option(str | None, default=None, description="WorkingDirectory=."),
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
        "service_config": option(dict[str, UNIT_VALUE], default={}, description=(
            "Raw [Service] keys written verbatim (a list repeats the key)."),
            example={"LimitNOFILE": "65536"}),
    }


def socket_options() -> dict:
    return {
        **common_options([]),
        "listen_stream": option(list[str], default=[], description="ListenStream= addresses."),
        "listen_datagram": option(list[str], default=[], description="ListenDatagram= addresses."),
        "accept": option(bool, default=False, description="Accept=: one service per connection."),
        "socket_config": option(dict[str, UNIT_VALUE], default={}, description=(
            "Raw [Socket] keys written verbatim.")),
    }


def timer_options() -> dict:
    return {
        **common_options(["timers.target"]),
        "on_calendar": option(list[str], default=[], description=(
            "OnCalendar= expressions (`daily`, `Mon *-*-* 04:00`; see systemd.time(7))."),
            example=["*-*-* 03:30"]),
        "on_boot_sec": option(str | None, default=None, description="OnBootSec= (e.g. `10min`)."),
        "persistent": option(bool, default=False, description=(
            "Persistent=: run at boot a trigger missed while the machine was off.")),
        "unit": option(str | None, default=None, description=(
            "Unit= the timer starts; None means `<name>.service`.")),
        "timer_config": option(dict[str, UNIT_VALUE], default={}, description=(
            "Raw [Timer] keys written verbatim.")),
    }


def path_options() -> dict:
    return {
        **common_options([]),
        "path_exists": option(list[str], default=[], description="PathExists= paths."),
        "path_changed": option(list[str], default=[], description="PathChanged= paths."),
        "path_modified": option(list[str], default=[], description="PathModified= paths."),
        "directory_not_empty": option(list[str], default=[], description=(
            "DirectoryNotEmpty= paths.")),
        "unit": option(str | None, default=None, description=(
            "Unit= to activate; None means `<name>.service`.")),
        "path_config": option(dict[str, UNIT_VALUE], default={}, description=(
            "Raw [Path] keys written verbatim.")),
    }


def mount_options() -> dict:
    return {
        **common_options([]),
        "what": option(str, default="", description="What=: the device, or `tmpfs`, etc."),
        "type": option(str, default="", description="Type=: the file system type."),
        "options": option(list[str], default=[], description="Options=, joined with commas."),
        "mount_config": option(dict[str, UNIT_VALUE], default={}, description=(
            "Raw [Mount] keys written verbatim.")),
    }


# Option name → unit suffix.
KINDS = {"services": ".service", "sockets": ".socket", "timers": ".timer",
         "targets": ".target", "paths": ".path", "mounts": ".mount"}


options = {"systemd": {
    "services": option(dict[str, t.submodule(service_options())], default={}, description=(
        "Services, by unit name without `.service`.")),
    "sockets": option(dict[str, t.submodule(socket_options())], default={}, description=(
        "Sockets, by unit name without `.socket`.")),
    "timers": option(dict[str, t.submodule(timer_options())], default={}, description=(
        "Timers, by unit name without `.timer`.")),
    "targets": option(dict[str, t.submodule(common_options([]))], default={}, description=(
        "Targets, by unit name without `.target`.")),
    "paths": option(dict[str, t.submodule(path_options())], default={}, description=(
        "Path units, by unit name without `.path`.")),
    "mounts": option(dict[str, t.submodule(mount_options())], default={}, description=(
        "Mount units, by mount point (e.g. `/srv/data`); prefer `file_systems` for ordinary "
        "mounts.")),
    "enabled": option(list[str], default=[], description=(
        "Units to enable through the preset file (full names, e.g. `ssh.service`): the way to "
        "switch on units that packages ship."), example=["ssh.service"]),
    "disabled": option(list[str], default=[], description=(
        "Units to disable through the preset file, although their package enables them.")),
    "masked": option(list[str], default=[], description=(
        "Units to mask (linked to /dev/null): they cannot start, even as a dependency.")),
    "package_units": option(list[str], default=[], description=(
        "Units that packages in the image ship (full names). Only used to check references: "
        "wanting or enabling a unit that is neither declared, part of systemd, nor listed here "
        "gives a warning. Modules that add a package list its units here.")),
    "drop_ins": option(dict[str, dict[str, t.lines]], default={}, description=(
        "Drop-in files that change units, packaged or declared, without replacing them: by "
        "full unit name (templates allowed), then drop-in name; written as "
        "/usr/lib/systemd/system/<unit>.d/<name>.conf."),
        example={"nginx.service": {"limits": "[Service]\nLimitNOFILE=65536\n"}}),
    "tmpfiles": {
        "rules": option(list[str], default=[], description=(
            "systemd-tmpfiles lines, verbatim (see tmpfiles.d(5))."),
            example=["d /srv/www 0755 www-data www-data -"]),
    },
}}


def full_name(kind: str, name: str) -> str:
    return name_to_unit(name, KINDS[kind])


def name_to_unit(name: str, suffix: str) -> str:
    if suffix == ".mount":
        # systemd-escape --path: /srv/data → srv-data.mount
        trimmed = name.strip("/") or "-"
        return trimmed.replace("-", "\\x2d").replace("/", "-") + suffix
    return name + suffix


def is_known(unit: str, known: set[str]) -> bool:
    if unit in known:
        return True
    match = re.fullmatch(r"(.+@)[^.]*(\.[a-z]+)", unit)
    return bool(match and match.group(1) + match.group(2) in known)


def check_names(systemd) -> list[dict]:
    """Unit names become file names: no suffix, no slash, no odd characters."""
    found = []
    for kind, suffix in KINDS.items():
        if kind == "mounts":
            continue
        for name in getattr(systemd, kind):
            where = f"systemd.{kind}.{name}"
            if name.endswith(suffix):
                found.append((where, f"drop the `{suffix}` suffix: write "
                                     f"systemd.{kind}.{name[: -len(suffix)]}"))
            elif not UNIT_NAME.match(name):
                found.append((where, "a unit name may contain only letters, digits and "
                                     "`:_.@-` (no spaces or slashes)"))
    for path in systemd.mounts:
        if not path.startswith("/") or "//" in path or "/../" in f"{path}/":
            found.append((f"systemd.mounts.{path}",
                          "the name of a mount unit is its absolute, normalised mount point"))
    return [{"assertion": False, "message": f"{where}: invalid unit name; {hint}."}
            for where, hint in found]


def check_services(services) -> list[dict]:
    """A service systemd would refuse to start is an eval-time error, not a boot failure."""
    errors = []
    for name, service in services.items():
        if not service.enable:
            continue
        raw_exec = "ExecStart" in service.service_config
        if not service.exec_start and not raw_exec and service.type != "oneshot":
            errors.append(f"systemd.services.{name}.exec_start is empty: systemd refuses a "
                          f"`{service.type}` service without ExecStart=; give the command to "
                          "run")
        if len(service.exec_start) > 1 and service.type != "oneshot":
            errors.append(f"systemd.services.{name}.exec_start has {len(service.exec_start)} "
                          f"commands but type is `{service.type}`; only `oneshot` services may "
                          "have several (set type = \"oneshot\" or chain them in a script)")
    return [{"assertion": False, "message": message} for message in errors]


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
    declared = {full_name(kind, name)
                for kind in KINDS for name, unit in getattr(systemd, kind).items() if unit.enable}
    known = declared | set(SYSTEMD_UNITS) | set(systemd.package_units)
    warnings = []
    for where, unit in references(systemd):
        if not unit.endswith(SUFFIXES):
            warnings.append(f"{where}: `{unit}` has no unit type suffix; write e.g. "
                            f"`{unit}.service` or `{unit}.target`.")
        elif not is_known(unit, known):
            warnings.append(f"{where}: unit `{unit}` is not declared in systemd.* and no "
                            "package is known to ship it, so systemd will ignore the reference."
                            " Declare the unit, fix the name, or add it to "
                            "systemd.package_units if a package provides it.")
    return {
        "assertions": check_names(systemd) + check_services(systemd.services),
        "warnings": warnings,
    }
