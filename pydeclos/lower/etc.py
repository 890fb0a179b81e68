"""The managed /etc: content in /usr/share/pydeclos/etc, linked from /etc by tmpfiles.

Shipping /etc inside /usr means each /usr version carries its own /etc, so booting or
switching to a version gives exactly that version's /etc. `L+` lines make the links
(mkosi applies them at build time, systemd-tmpfiles-setup at every boot). Entries owned by
a user other than root cannot be links into read-only /usr: they are copied with `C+` and
their owner and mode set with `z`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from pydeclos.lower import validate as v
from pydeclos.lower.clock import clock_etc_files
from pydeclos.lower.common import ETC_STORE, EXTRA, section
from pydeclos.lower.environment import environment_etc_files
from pydeclos.lower.errors import ConflictingDefinitions, UnsafePath, UnsafeValue
from pydeclos.lower.etcfiles import EtcEntry, EtcFile, EtcLink
from pydeclos.lower.filesystems import filesystems_etc_files
from pydeclos.lower.filetree import File, FileTree
from pydeclos.lower.firewall import firewall_etc_files
from pydeclos.lower.hostfile import read_host_file
from pydeclos.lower.i18n import i18n_etc_files
from pydeclos.lower.networking import networking_etc_files

# tmpfiles.d applies the first line for a path in file-name order; the 00- prefix makes the
# declared /etc win over distribution defaults (Debian links /etc/vconsole.conf elsewhere).
TMPFILES = "usr/lib/tmpfiles.d/00-pydeclos-etc.conf"

# Files that belong to the running system, not to a /usr version: linking them would
# break logins (sysusers writes them) or the machine's identity.
RESERVED = frozenset({"passwd", "group", "shadow", "gshadow", "machine-id", "subuid", "subgid",
                      "shadow-", "passwd-", "group-", "gshadow-", "adjtime", "os-release",
                      "mtab"})


def _user_entries(cfg: Mapping[str, Any]) -> dict[str, EtcEntry]:
    """`environment.etc.<path>` as entries, sources read from the build host."""
    entries: dict[str, EtcEntry] = {}
    declared = section(cfg, "environment", "etc")
    for path in sorted(declared):
        spec = declared[path] or {}
        option = f"environment.etc.{path}"
        v.etc_path(path, option)
        if not spec.get("enable", True):
            continue
        if any(c in path for c in "\\\"'"):
            raise UnsafePath(option, f"{path!r} contains a quote or backslash",
                             "rename the file; tmpfiles.d cannot express such names safely")
        if path in RESERVED or path.split("/")[0] in RESERVED:
            raise UnsafePath(option, f"/etc/{path} is managed by the running system",
                             "declare users with users.users and groups with users.groups")
        text, source = spec.get("text"), spec.get("source")
        if (text is None) == (source is None):
            raise UnsafeValue(option, "exactly one of `text` and `source` must be set",
                              "give the content inline with text=... or a host file with source=...")
        if source is not None:
            v.absolute_path(source, f"{option}.source")
            content = read_host_file(source, f"{option}.source")
        else:
            content = str(text).encode()
        entries[path] = EtcFile(
            content=content,
            origin=option,
            mode=v.file_mode(spec.get("mode", "0644"), f"{option}.mode"),
            user=v.user_name(spec.get("user", "root"), f"{option}.user"),
            group=v.user_name(spec.get("group", "root"), f"{option}.group"),
        )
    return entries


def etc_entries(cfg: Mapping[str, Any]) -> dict[str, EtcEntry]:
    """Every managed /etc entry, from `environment.etc` and from the other option families."""
    entries = _user_entries(cfg)
    for provider in (networking_etc_files, clock_etc_files, i18n_etc_files,
                     filesystems_etc_files, firewall_etc_files, environment_etc_files):
        for path, entry in provider(cfg).items():
            if path in entries and entries[path] != entry:
                raise ConflictingDefinitions(
                    entries[path].origin,
                    f"/etc/{path} is also written by {entry.origin}",
                    f"set {entry.origin} instead of declaring /etc/{path} yourself",
                )
            entries[path] = entry
    for path, entry in entries.items():
        parent = next((p for p in map(str, PurePosixPath(path).parents) if p in entries), None)
        if parent is not None:
            raise ConflictingDefinitions(
                entry.origin, f"/etc/{parent} is declared as a file, so /etc/{path} cannot "
                "be inside it", f"remove {entries[parent].origin} or this entry")
    return dict(sorted(entries.items()))


def _tmpfiles_escape(text: str) -> str:
    """`%` starts a specifier in tmpfiles.d paths and arguments."""
    return text.replace("%", "%%")


def lower_etc(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    lines = ["# Generated by pydeclos: /etc entries owned by this /usr version."]
    for path, entry in etc_entries(cfg).items():
        target = f"/etc/{_tmpfiles_escape(path)}"
        if isinstance(entry, EtcLink):
            lines.append(f"L+ {target} - - - - {_tmpfiles_escape(entry.target)}")
            continue
        tree.add(f"{EXTRA}/{ETC_STORE}/{path}", File(entry.content, entry.mode))
        stored = f"/{ETC_STORE}/{_tmpfiles_escape(path)}"
        if entry.user == "root" and entry.group == "root":
            lines.append(f"L+ {target} - - - - {stored}")
        else:
            lines.append(f"C+ {target} - - - - {stored}")
            lines.append(f"z {target} {entry.mode:04o} {entry.user} {entry.group} -")
    tree.add_text(f"{EXTRA}/{TMPFILES}", "\n".join(lines) + "\n")
    return tree
