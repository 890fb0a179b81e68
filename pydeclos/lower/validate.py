"""Checks for values that end up inside generated files.

The module system checks types; these check what a type cannot: that a string is safe in
the file format it is written into and is a name the consuming tool accepts. A value that
fails is never written; the error names its option path.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pydeclos.lower.errors import InvalidName, UnsafePath, UnsafeValue

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNIT_PREFIX = re.compile(r"^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?$")
UNIT_SUFFIXES = (
    "service", "socket", "target", "timer", "path", "mount", "automount", "swap",
    "slice", "scope", "device",
)
_USER = re.compile(r"^[a-z_][a-z0-9_-]*$")
_SIZE = re.compile(r"^[1-9][0-9]*[KMGT]?$")
_IMAGE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_MODE = re.compile(r"^0?[0-7]{3,4}$")
_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.:~=-]*$")
_IFNAME = re.compile(r"^[A-Za-z0-9_.:*?-]+$")


def text_line(value: str, option: str) -> str:
    """A value written on one line of an INI-style file: no line breaks or control bytes,
    and no trailing backslash (systemd would join the next line to it)."""
    if not isinstance(value, str):
        raise UnsafeValue(option, f"expected a string, got {type(value).__name__}",
                          "give a string value")
    if _CONTROL.search(value):
        raise UnsafeValue(
            option, f"{value!r} contains a line break or control character",
            "a value must fit on one line; write each entry as its own list item",
        )
    if value.endswith("\\"):
        raise UnsafeValue(option, f"{value!r} ends with a backslash, which continues the line",
                          "remove the trailing backslash")
    return value


def ini_key(key: str, option: str) -> str:
    """A key written as `Key=`: letters, digits, `-` and `_` only, so that `[` or `=`
    cannot open a section or smuggle a second assignment."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", key or ""):
        raise UnsafeValue(option, f"{key!r} is not a valid setting name",
                          "setting names are letters, digits, '-' and '_' (e.g. 'Nice')")
    return key


def unit_prefix(name: str, option: str) -> str:
    """The part of a unit name before its suffix (`foo`, `getty@tty1`, `foo@`)."""
    if not name or len(name) > 240 or not _UNIT_PREFIX.fullmatch(name) or name.startswith("@"):
        raise InvalidName(
            option, f"{name!r} is not a valid unit name",
            "use letters, digits and ':_.-\\' (one '@' for templates), without the suffix",
        )
    return name


def unit_name(name: str, option: str) -> str:
    """A full unit name with its suffix, as used in After=, Wants=, presets."""
    if not isinstance(name, str) or "." not in name:
        raise InvalidName(option, f"{name!r} is not a unit name",
                          "write the full name with its suffix, e.g. 'network-online.target'")
    prefix, _, suffix = name.rpartition(".")
    if suffix not in UNIT_SUFFIXES:
        raise InvalidName(option, f"{name!r} has an unknown unit suffix .{suffix}",
                          f"the suffix is one of: {', '.join(UNIT_SUFFIXES)}")
    unit_prefix(prefix, option)
    return name


def user_name(name: str, option: str) -> str:
    """A user or group name that useradd, sysusers and every passwd reader accept."""
    if not isinstance(name, str) or not _USER.fullmatch(name) or len(name) > 31:
        raise InvalidName(
            option, f"{name!r} is not a valid user or group name",
            "start with a lowercase letter or '_', then lowercase letters, digits, '_' or '-' "
            "(at most 31 characters)",
        )
    return name


def absolute_path(value: str, option: str) -> str:
    """An absolute, normalised path without whitespace (fields are whitespace-separated)."""
    text_line(value, option)
    pure = PurePosixPath(value)
    if (not pure.is_absolute() or ".." in pure.parts or str(pure) != value
            or any(c.isspace() or c in "%\"'\\" for c in value)):
        raise UnsafePath(
            option, f"{value!r} is not an absolute, normalised path",
            "write a path such as '/srv/data' (no '..', spaces, quotes, '%' or trailing '/')",
        )
    return value


def etc_path(value: str, option: str) -> str:
    """A path relative to /etc that stays inside /etc."""
    text_line(value, option)
    pure = PurePosixPath(value)
    if (not value or pure.is_absolute() or ".." in pure.parts or "." in value.split("/")
            or str(pure) != value or any(c.isspace() for c in value)):
        raise UnsafePath(
            option, f"{value!r} is not a path inside /etc",
            "give a relative path such as 'ssh/sshd_config.d/10-local.conf' "
            "(no leading '/', no '..', no spaces)",
        )
    return value


def kernel_param(value: str, option: str) -> str:
    """One kernel command-line word: the kernel splits on spaces and honours quotes."""
    text_line(value, option)
    if not value or any(c.isspace() or c in "\"'\\%" for c in value):
        raise UnsafeValue(
            option, f"{value!r} is not a single kernel parameter",
            "write one parameter per list entry, without spaces or quotes",
        )
    return value


def size(value: str, option: str) -> str:
    """A size as repart and mkosi read it: a number with an optional K/M/G/T suffix."""
    if not isinstance(value, str) or not _SIZE.fullmatch(value):
        raise UnsafeValue(option, f"{value!r} is not a size", "write e.g. '512M' or '2G'")
    return value


def image_id(value: str, option: str) -> str:
    """The image id ends up in partition labels and sysupdate patterns (`<id>_@v`)."""
    if not isinstance(value, str) or not _IMAGE_ID.fullmatch(value) or len(value) > 32:
        raise InvalidName(
            option, f"{value!r} is not a valid image id",
            "use lowercase letters, digits, '_' and '-' (at most 32)",
        )
    return value


def file_mode(value: str, option: str) -> int:
    """An octal permission string such as '0644'."""
    if not isinstance(value, str) or not _MODE.fullmatch(value):
        raise UnsafeValue(option, f"{value!r} is not an octal file mode",
                          "write e.g. '0644' or '0600'")
    return int(value, 8)


def package_name(value: str, option: str) -> str:
    """A Debian package name (optionally with `=version`)."""
    if not isinstance(value, str) or not _PACKAGE.fullmatch(value):
        raise InvalidName(option, f"{value!r} is not a valid package name",
                          "package names are lowercase letters, digits and '+.-'")
    return value


def interface_name(value: str, option: str) -> str:
    """A network interface name or glob, as networkd's Name= matches it."""
    if not _IFNAME.fullmatch(value or "") or len(value) > 15:
        raise InvalidName(option, f"{value!r} is not a valid interface name",
                          "use the kernel's name, e.g. 'eth0' or 'enp1s0' (at most 15 chars)")
    return value


def word(value: str, option: str, hint: str) -> str:
    """A value that must be one whitespace-free word (a field in sysusers/tmpfiles/fstab)."""
    text_line(value, option)
    if not value or any(c.isspace() for c in value):
        raise UnsafeValue(option, f"{value!r} must be a single word without spaces", hint)
    return value
