"""systemd.{services,sockets,timers,targets,paths,mounts} -> unit files in /usr.

Units are written to /usr/lib/systemd/system without an [Install] section; `wanted_by`
and `required_by` become static `.wants/`/`.requires/` links beside them. That way a unit
is active in exactly the /usr versions that declare it, with nothing to enable in /etc.
`masked` units become /dev/null links in the same directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pydeclos.lower import validate as v
from pydeclos.lower.common import UNIT_DIR, as_list, canonical_json, section, sha256
from pydeclos.lower.errors import ConflictingDefinitions, UnsafeValue
from pydeclos.lower.filetree import FileTree, Symlink
from pydeclos.lower.ini import render_unit, yes_no
from pydeclos.lower.naming import escape_path

SERVICE_TYPES = ("simple", "exec", "forking", "oneshot", "dbus", "notify", "notify-reload",
                 "idle")
RESTART_VALUES = ("no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort",
                  "always")
PROTECT_SYSTEM = ("", "true", "full", "strict")

Entries = list[tuple[str, str]]


def _line(value: Any, option: str) -> str:
    return v.text_line(str(value), option)


def _raw(raw: Mapping[str, Any], option: str) -> Entries:
    """Verbatim `*_config` keys: each key checked, a list value becomes repeated keys."""
    entries: Entries = []
    for key in sorted(raw):
        v.ini_key(key, f"{option}.{key}")
        for item in as_list(raw[key]):
            entries.append((key, _line(item, f"{option}.{key}")))
    return entries


def _names(values: Any, option: str) -> str:
    names = [v.unit_name(n, f"{option}[{i}]") for i, n in enumerate(as_list(values))]
    return " ".join(names)


def _unit_section(unit: Mapping[str, Any], option: str, extra: Sequence[tuple[str, str]] = ()) -> Entries:
    entries: Entries = []
    if unit.get("description"):
        entries.append(("Description", _line(unit["description"], f"{option}.description")))
    for field, key in (("after", "After"), ("before", "Before"), ("wants", "Wants"),
                       ("requires", "Requires")):
        if as_list(unit.get(field)):
            entries.append((key, _names(unit[field], f"{option}.{field}")))
    entries.extend(extra)
    entries.extend(_raw(unit.get("unit_config") or {}, f"{option}.unit_config"))
    return entries


def _choice(value: Any, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise UnsafeValue(option, f"{value!r} is not one of {', '.join(map(repr, choices))}",
                          "pick one of the listed values")
    return str(value)


def _environment(env: Mapping[str, Any], option: str) -> Entries:
    entries: Entries = []
    for name in sorted(env):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UnsafeValue(f"{option}.{name}", f"{name!r} is not a variable name",
                              "use letters, digits and '_', not starting with a digit")
        value = _line(env[name], f"{option}.{name}")
        quoted = (f"{name}={value}".replace("\\", "\\\\").replace('"', '\\"')
                  .replace("%", "%%"))
        entries.append(("Environment", f'"{quoted}"'))
    return entries


def _service(unit: Mapping[str, Any], option: str) -> Entries:
    kind = _choice(unit.get("type", "simple"), SERVICE_TYPES, f"{option}.type")
    entries: Entries = [("Type", kind)]
    raw = unit.get("service_config") or {}
    starts = as_list(unit.get("exec_start"))
    if not starts and "ExecStart" not in raw and kind != "oneshot":
        raise UnsafeValue(f"{option}.exec_start", "a service needs a command to run",
                          "set exec_start = ['/usr/bin/program --flag']")
    if len(starts) > 1 and kind != "oneshot":
        raise UnsafeValue(f"{option}.exec_start",
                          f"{len(starts)} commands, but only oneshot services may have several",
                          "set type = 'oneshot' or use exec_start_pre for the earlier commands")
    for field, key in (("exec_start_pre", "ExecStartPre"), ("exec_start", "ExecStart"),
                       ("exec_reload", "ExecReload"), ("exec_stop", "ExecStop")):
        for i, command in enumerate(as_list(unit.get(field))):
            if not str(command).strip():
                # An empty ExecStart= would silently reset the commands before it.
                raise UnsafeValue(f"{option}.{field}[{i}]", "the command is empty",
                                  "remove the empty entry or write the command")
            entries.append((key, _line(command, f"{option}.{field}[{i}]")))
    entries.extend(_environment(unit.get("environment") or {}, f"{option}.environment"))
    restart = _choice(unit.get("restart", "no"), RESTART_VALUES, f"{option}.restart")
    if restart != "no":
        entries.append(("Restart", restart))
    if unit.get("restart_sec") is not None:
        entries.append(("RestartSec", v.word(str(unit["restart_sec"]), f"{option}.restart_sec",
                                              "write a time span such as '5s'")))
    for field, key in (("user", "User"), ("group", "Group")):
        if unit.get(field):
            entries.append((key, v.user_name(unit[field], f"{option}.{field}")))
    if unit.get("working_directory"):
        entries.append(("WorkingDirectory",
                        _line(unit["working_directory"], f"{option}.working_directory")))
    protect = _choice(unit.get("protect_system", ""), PROTECT_SYSTEM, f"{option}.protect_system")
    if protect:
        entries.append(("ProtectSystem", protect))
    for field, key in (("private_tmp", "PrivateTmp"), ("protect_home", "ProtectHome"),
                       ("no_new_privileges", "NoNewPrivileges"), ("dynamic_user", "DynamicUser")):
        if unit.get(field):
            entries.append((key, yes_no(True)))
    entries.extend(_raw(raw, f"{option}.service_config"))
    return entries


def _socket(unit: Mapping[str, Any], option: str) -> Entries:
    entries: Entries = []
    for field, key in (("listen_stream", "ListenStream"), ("listen_datagram", "ListenDatagram")):
        for i, address in enumerate(as_list(unit.get(field))):
            entries.append((key, v.word(str(address), f"{option}.{field}[{i}]",
                                        "write a port, an address:port or a socket path")))
    if unit.get("accept"):
        entries.append(("Accept", yes_no(True)))
    entries.extend(_raw(unit.get("socket_config") or {}, f"{option}.socket_config"))
    return entries


def _timer(unit: Mapping[str, Any], option: str) -> Entries:
    entries: Entries = []
    for i, spec in enumerate(as_list(unit.get("on_calendar"))):
        entries.append(("OnCalendar", _line(spec, f"{option}.on_calendar[{i}]")))
    if unit.get("on_boot_sec"):
        entries.append(("OnBootSec", _line(unit["on_boot_sec"], f"{option}.on_boot_sec")))
    if unit.get("persistent"):
        entries.append(("Persistent", yes_no(True)))
    if unit.get("unit"):
        entries.append(("Unit", v.unit_name(unit["unit"], f"{option}.unit")))
    entries.extend(_raw(unit.get("timer_config") or {}, f"{option}.timer_config"))
    return entries


def _path(unit: Mapping[str, Any], option: str) -> Entries:
    entries: Entries = []
    for field, key in (("path_exists", "PathExists"), ("path_changed", "PathChanged"),
                       ("path_modified", "PathModified"),
                       ("directory_not_empty", "DirectoryNotEmpty")):
        for i, path in enumerate(as_list(unit.get(field))):
            entries.append((key, v.absolute_path(path, f"{option}.{field}[{i}]")))
    if unit.get("unit"):
        entries.append(("Unit", v.unit_name(unit["unit"], f"{option}.unit")))
    entries.extend(_raw(unit.get("path_config") or {}, f"{option}.path_config"))
    return entries


def _mount(where: str, unit: Mapping[str, Any], option: str) -> Entries:
    entries: Entries = [
        ("What", v.word(str(unit.get("what", "")), f"{option}.what",
                        "name the device, e.g. '/dev/vdb1', 'LABEL=data' or 'tmpfs'")),
        ("Where", where),
    ]
    if unit.get("type"):
        entries.append(("Type", v.word(str(unit["type"]), f"{option}.type",
                                       "write a file system type such as 'ext4'")))
    options = [v.word(str(o), f"{option}.options[{i}]", "one mount option per list entry")
               for i, o in enumerate(as_list(unit.get("options")))]
    if options:
        entries.append(("Options", ",".join(options)))
    entries.extend(_raw(unit.get("mount_config") or {}, f"{option}.mount_config"))
    return entries


def _no_body(unit: Mapping[str, Any], option: str) -> Entries:
    return []


# option set -> (unit suffix, kind-specific section, function writing that section)
KINDS: dict[str, tuple[str, str | None, Callable[[Mapping[str, Any], str], Entries]]] = {
    "services": ("service", "Service", _service),
    "sockets": ("socket", "Socket", _socket),
    "timers": ("timer", "Timer", _timer),
    "targets": ("target", None, _no_body),
    "paths": ("path", "Path", _path),
    "mounts": ("mount", "Mount", _no_body),  # written by _mount, which needs the path
}


def _enabled(cfg: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(kind, name, unit) for every declared unit with `enable` set, in a stable order."""
    systemd = section(cfg, "systemd")
    for kind in KINDS:
        declared = systemd.get(kind) or {}
        for name in sorted(declared):
            unit = declared[name] or {}
            if unit.get("enable", True):
                yield kind, name, unit


def _one_unit(kind: str, name: str, unit: Mapping[str, Any]) -> tuple[str, str]:
    """The file name and text of one declared unit."""
    option = f"systemd.{kind}.{name}"
    suffix, heading, write_body = KINDS[kind]
    if kind == "mounts":
        where = v.absolute_path(name, option)
        filename = f"{escape_path(where)}.mount"
        body = _mount(where, unit, option)
    else:
        filename = f"{v.unit_prefix(name, option)}.{suffix}"
        body = write_body(unit, option)
    extra: Entries = []
    triggers = as_list(unit.get("restart_triggers"))
    if triggers:
        extra.append(("X-Restart-Triggers", sha256(canonical_json(triggers))))
    sections: list[tuple[str, Entries]] = [("Unit", _unit_section(unit, option, extra))]
    if heading:
        sections.append((heading, body))
    return filename, render_unit(sections)


def declared_units(cfg: Mapping[str, Any]) -> dict[str, str]:
    """Every enabled declared unit: file name -> text."""
    units: dict[str, str] = {}
    for kind, name, unit in _enabled(cfg):
        filename, text = _one_unit(kind, name, unit)
        if filename in units:
            raise ConflictingDefinitions(f"systemd.{kind}.{name}",
                                         f"two declarations produce {filename}",
                                         "declare the unit once")
        units[filename] = text
    return units


def lower_units(cfg: Mapping[str, Any]) -> FileTree:
    """Unit files, their static dependency links, and masks."""
    tree = FileTree()
    units = declared_units(cfg)
    for filename, text in units.items():
        tree.add_text(f"{UNIT_DIR}/{filename}", text)
    for kind, name, unit in _enabled(cfg):
        filename, _ = _one_unit(kind, name, unit)
        for field, directory in (("wanted_by", "wants"), ("required_by", "requires")):
            for i, target in enumerate(as_list(unit.get(field))):
                v.unit_name(target, f"systemd.{kind}.{name}.{field}[{i}]")
                tree.add(f"{UNIT_DIR}/{target}.{directory}/{filename}",
                         Symlink(f"../{filename}"))
    for i, masked in enumerate(as_list(section(cfg, "systemd").get("masked"))):
        v.unit_name(masked, f"systemd.masked[{i}]")
        if masked in units:
            raise ConflictingDefinitions(f"systemd.masked[{i}]",
                                         f"{masked} is both declared and masked",
                                         "remove it from systemd.masked or disable the unit")
        tree.add(f"{UNIT_DIR}/{masked}", Symlink("/dev/null"))
    return tree


def lower_drop_ins(cfg: Mapping[str, Any]) -> FileTree:
    """`systemd.drop_ins`: unit -> name -> text, as /usr/lib/systemd/system/<unit>.d/<name>.conf."""
    tree = FileTree()
    drop_ins = section(cfg, "systemd").get("drop_ins") or {}
    for unit in sorted(drop_ins):
        v.unit_name(unit, f"systemd.drop_ins.{unit}")
        for name in sorted(drop_ins[unit] or {}):
            option = f"systemd.drop_ins.{unit}.{name}"
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name.startswith("."):
                raise UnsafeValue(option, f"{name!r} is not a drop-in name",
                                  "use letters, digits and '_.-', e.g. '10-autologin'")
            text = str(drop_ins[unit][name] or "")
            if "\x00" in text:
                raise UnsafeValue(option, "contains a NUL byte", "write plain unit text")
            text = text if text.endswith("\n") else text + "\n"
            tree.add_text(f"{UNIT_DIR}/{unit}.d/{name}.conf", text)
    return tree
