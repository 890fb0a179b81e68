"""`t.*`, the option types modules use: the engine's generic types, and Linux domain types
(unit, user and host names, paths, modes, sizes, ...) built from them.

Each is a constrained `str` (or int) built from the engine's generic types, so a bad value
is an error at the file:line that wrote it, the user's system.py when the user wrote it.
Every pattern is used with `fullmatch`. The same rule is what the files written later rely
on: a value that passes here is safe in the file it ends up in, so lowering checks nothing.

A dict option names its key type as well (`dict[t.user_name, X]`): a bad key is an error
at the line of that key. `entry_path` names one entry for an assertion's `options`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from pydeclos import oncalendar
from pydeclos.modsys.constrained_types import IntRange, Matching
from pydeclos.modsys.scalar_types import Str
from pydeclos.modsys.type_base import Type
from pydeclos.modsys.types import (
    Anything,
    Path,
    Port,
    Submodule,
    anything,
    as_type,
    between,
    enum,
    lines,
    matching,
    non_empty,
    non_empty_line,
    one_line,
    package,
    positive,
    submodule,
    union_of,
    unique,
    unsigned,
)

__all__ = [
    # the engine's generic types
    "Port", "Path", "lines", "package", "anything", "unique", "submodule", "enum",
    "matching", "between", "positive", "unsigned", "one_line", "non_empty", "non_empty_line",
    "Type", "Anything", "Submodule", "as_type", "union_of",
    # Linux domain types
    "unit_name", "unit_prefix", "unit_file", "drop_in_name", "user_name", "group_name",
    "host_name", "domain_name", "server_name", "etc_path", "usr_path", "absolute_path",
    "passwd_path", "file_mode", "public_file_mode", "size", "image_id", "release", "mirror_url",
    "component", "kernel_param",
    "kernel_module", "sysctl_key", "time_zone", "locale", "language", "keymap", "interface_name",
    "variable_name", "alias_name", "word", "mount_option", "ini_key", "ssh_keyword", "ssh_value",
    "nginx_backend", "nginx_location", "nginx_word", "nginx_return", "sudo_command",
    "sudo_run_as",
    "job_name", "ini_value", "duration", "state_directory", "unit_line", "crypt_hash", "gecos",
    "tmpfiles_rule", "tmpfiles_type", "tmpfiles_age", "tmpfiles_argument", "system_id",
    "ip_address", "ip_interface", "entry_path", "Parsed", "calendar",
]


class Parsed(Str):
    """A str that a parser accepts (for what a regular expression says badly: IP addresses)."""

    def __init__(self, accepts: Callable[[str], bool], what: str) -> None:
        self.accepts = accepts
        self.what = what
        self.description = what.removeprefix("an ").removeprefix("a ")

    def check(self, value: Any) -> bool:
        return isinstance(value, str) and self.accepts(value)

    def explain(self, value: Any) -> str:
        return f"expected {self.what}, got {value!r}" if isinstance(value, str) else ""

    def combine(self, other: Type) -> Type | None:
        return self if other is self else None


def _ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _cidr(text: str) -> bool:
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        return False
    return "/" in text


_UNIT_CHARS = r"[A-Za-z0-9:_.\\-]"
UNIT_SUFFIXES = ("service", "socket", "target", "timer", "path", "mount", "automount",
                 "swap", "slice", "scope", "device")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# /etc files that belong to the running machine, not to a /usr version.
ETC_RESERVED = ("passwd", "group", "shadow", "gshadow", "machine-id", "subuid", "subgid",
                "shadow-", "passwd-", "group-", "gshadow-", "adjtime", "os-release", "mtab")
# A component is a file name: at most 255 bytes (NAME_MAX), or writing the tree fails.
_COMPONENT = r"(?!\.\.?(?:/|$))[A-Za-z0-9_.@+,=:~-]{1,255}"
_RELATIVE = rf"{_COMPONENT}(?:/{_COMPONENT})*"
# Parameters mkosi computes itself: it adds usrhash=/roothash= for the slot being booted.
RESERVED_PARAMS = ("mount.usr=", "mount.usrfstype=", "usrhash=", "roothash=")
# Debian releases whose systemd (< 254) lacks what pydeclos' A/B updates need.
OLD_RELEASES = ("jessie", "stretch", "buster", "bullseye", "bookworm")

unit_name = Matching(
    rf"(?=.{{1,255}}$){_UNIT_CHARS}+(?:@{_UNIT_CHARS}*)?\.(?:{'|'.join(UNIT_SUFFIXES)})",
    "a full unit name with its suffix, such as 'network-online.target' (letters, digits, "
    "':_.-\\' and one '@' for templates)", example="ssh.service")
unit_prefix = Matching(
    rf"(?=.{{1,240}}$){_UNIT_CHARS}+(?:@{_UNIT_CHARS}*)?",
    "a unit name without its suffix, such as 'backup' or 'getty@tty1' (letters, digits, "
    "':_.-\\' and one '@' for templates)", example="backup")
unit_file = Matching(
    rf"(?=.{{1,255}}$){_UNIT_CHARS}+(?:@{_UNIT_CHARS}*)?\.(?:{'|'.join(UNIT_SUFFIXES)})",
    "a unit file name such as 'app.service'", example="app.service")
drop_in_name = Matching(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", "a drop-in name such as "
                        "'10-autologin' (letters, digits and '_.-')", example="10-autologin")
user_name = Matching(
    r"[a-z_][a-z0-9_-]{0,30}",
    "a user name: a lowercase letter or '_', then lowercase letters, digits, '_' or '-' "
    "(at most 31 characters)", example="alice")
group_name = Matching(
    r"[a-z_][a-z0-9_-]{0,30}",
    "a group name: a lowercase letter or '_', then lowercase letters, digits, '_' or '-' "
    "(at most 31 characters)", example="deploy")
host_name = Matching(_LABEL, "a host name: one label of letters, digits and '-', at most "
                     "63 characters (put the rest in networking.domain)", example="web1")
domain_name = Matching(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*",
                       "a DNS domain of dot-separated labels", example="example.org")
# One nginx token: white space, quotes, ';' and braces end the directive or the block; a
# backslash escapes the next character, so each one must escape a plain one.
_NGINX_CHAR = r"[^\s\x00-\x1f\x7f;{}'\"\\]"
server_name = Matching(
    rf"(?:\*\.)?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:\.\*)?"
    rf"|~(?:{_NGINX_CHAR}|\\{_NGINX_CHAR})+",
    "a server name: a host name, optionally with a leading '*.' or trailing '.*', or a "
    "'~regex' without spaces, quotes, ';' or braces (a '\\' escapes the next character)",
    example="www.example.org")
nginx_backend = Matching(
    rf"https?://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?"
    r"(?:/[^\s\x00-\x1f\x7f;{}'\"#$\\]*)?|unix:/[^\s\x00-\x1f\x7f;{}'\"#$\\:]+",
    "an http://host[:port][/path] or unix:/path address without spaces, quotes, ';', "
    "braces, '#', '$' or '\\'", example="http://127.0.0.1:8080")
# One nginx token where a '#' could start a comment: no '#' at all.
_NGINX_TOKEN = r"(?:[^\s\x00-\x1f\x7f;{}'\"\\#]|\\[^\s\x00-\x1f\x7f;{}'\"\\#])+"
nginx_word = Matching(
    _NGINX_TOKEN, "one nginx word without spaces, quotes, ';', braces or '#' (a '\\' "
    "escapes the next character), such as '$uri/' or '=404'", example="$uri")
nginx_location = Matching(
    rf"(?:= |\^~ )?/(?:{_NGINX_TOKEN})?|~\*? {_NGINX_TOKEN}|@[A-Za-z0-9_-]+",
    "an nginx location: a '/prefix', '= /exact' or '^~ /prefix', a '~ regex' or "
    "'~* regex' (one word, no spaces, quotes, ';', braces or '#'), or a named '@location'",
    example="/api/")
nginx_return = Matching(
    rf"[1-5][0-9]{{2}}(?: {_NGINX_TOKEN})?|https?://{_NGINX_TOKEN}",
    "an nginx return: a status code, optionally followed by one word (a URL or text), "
    "or a URL alone, such as '301 https://example.org$request_uri'",
    example="301 https://example.org$request_uri")
# sudoers needs ',', ':', '=' and '\' escaped in a command, and reads '#' as a comment.
sudo_command = Matching(
    r"ALL|/(?:[^\s\x00-\x1f\x7f,:=\\#\"'!]+)(?: [^\s\x00-\x1f\x7f,:=\\#\"']+)*",
    "a sudo command: 'ALL', or an absolute path with optional arguments separated by single "
    "spaces, without ',', ':', '=', '\\', '#', quotes or control characters",
    example="/usr/bin/systemctl restart nginx.service")
sudo_run_as = Matching(
    r"(?:ALL|[a-z_][a-z0-9_-]{0,30})(?::(?:ALL|[a-z_][a-z0-9_-]{0,30}))?",
    "whom a sudo rule runs commands as: 'ALL', a user, or 'user:group' (either may be "
    "'ALL'), such as 'ALL:ALL' or 'www-data'", example="ALL:ALL")
etc_path = Matching(
    rf"(?!(?:{'|'.join(ETC_RESERVED)})(?:/|$)){_RELATIVE}",
    "a path relative to /etc such as 'ssh/sshd_config.d/local.conf': normalised, without "
    "'..', a leading '/', spaces or quotes, and not a file the machine owns "
    f"({', '.join(ETC_RESERVED[:5])}, ...)", example="motd")
usr_path = Matching(_RELATIVE, "a path relative to /usr such as 'lib/sysctl.d/50-x.conf' "
                    "(normalised, without '..', spaces or quotes)", example="lib/x.conf")
absolute_path = Matching(r"/|(?:/(?!\.\.?(?:/|$))[A-Za-z0-9_.@+,=:~-]{1,255})+",
                         "an absolute, normalised path without spaces or quotes, such as "
                         "'/srv/data'", example="/srv/data")
# /etc/passwd separates its fields with ':', so a home or a shell cannot hold one.
passwd_path = Matching(r"/|(?:/(?!\.\.?(?:/|$))[A-Za-z0-9_.@+,=~-]+)+",
                       "an absolute, normalised path without spaces, quotes or ':' (which "
                       "separates /etc/passwd fields), such as '/home/alice'",
                       example="/home/alice")
file_mode = Matching(r"0?[0-7]{3}|[0-7]{4}", "an octal file mode such as '0644'", example="0644")
# /usr is public (every update carries it): a file there must not pretend to be private.
public_file_mode = Matching(r"0?[0-7]{2}[4-7]|[0-7]{3}[4-7]",
                            "an octal file mode readable by everyone, such as '0644' or "
                            "'0755' (/usr is public in every update: a private file does not "
                            "belong there)", example="0644")
size = Matching(r"[1-9][0-9]*[KMGT]?", "a size: a number with an optional K, M, G or T "
                "suffix, such as '512M'", example="512M")
image_id = Matching(r"[a-z0-9][a-z0-9_-]{0,31}", "an image id: lowercase letters, digits, "
                    "'_' and '-', starting with a letter or digit, at most 32 characters",
                    example="pydeclos")
release = Matching(
    rf"(?!(?:{'|'.join(OLD_RELEASES)})$)[a-z][a-z0-9-]*",
    "a Debian code name of trixie or newer (older releases ship a systemd too old for "
    "A/B updates)", example="trixie")
mirror_url = Matching(r"(?:https?|file)://[^\s\x00-\x1f\x7f\"'\\]+",
                      "an http://, https:// or file:// URL", example="http://deb.debian.org/debian")
component = Matching(r"[a-z][a-z0-9-]*", "an archive component such as 'main'",
                     example="main")
kernel_param = Matching(
    rf"(?!{'|'.join(p.replace('.', '[.]') for p in RESERVED_PARAMS)})"
    r"[^\s\x00-\x1f\x7f\"'\\%]+",
    "one kernel parameter without spaces or quotes, and not one that chooses the /usr slot "
    "(mkosi adds usrhash=/roothash= itself)", example="quiet")
kernel_module = Matching(r"[A-Za-z0-9_-]+", "a kernel module name without '.ko', such as "
                         "'br_netfilter'", example="br_netfilter")
sysctl_key = Matching(r"[A-Za-z0-9_*-]+(?:[./][A-Za-z0-9_*-]+)+",
                      "a dotted sysctl name such as 'net.ipv4.ip_forward'",
                      example="vm.swappiness")
time_zone = Matching(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*",
                     "a tz database name such as 'UTC' or 'Europe/Berlin'", example="UTC")
locale = Matching(r"[A-Za-z]{2,3}(?:_[A-Z]{2})?(?:\.[A-Za-z0-9-]+)?(?:@[a-z]+)?|C(?:\.UTF-8)?|POSIX",
                  "a locale name such as 'en_US.UTF-8' or 'C.UTF-8'", example="C.UTF-8")
# A directory of /usr/share/locale: a language, maybe with territory or variant.
language = Matching(r"all|[a-z]{2,3}(?:_[A-Z]{2})?(?:@[a-z]+)?",
                    "a language of /usr/share/locale such as 'de' or 'pt_BR', or 'all'",
                    example="de")
keymap = Matching(r"[A-Za-z0-9_.-]+", "a keymap name such as 'us' or 'de-latin1'",
                  example="us")
interface_name = Matching(r"[A-Za-z0-9_.*?-]{1,15}", "a network interface name or glob "
                          "(at most 15 characters), such as 'eth0' or 'enp1s0'",
                          example="eth0")
variable_name = Matching(r"[A-Za-z_][A-Za-z0-9_]*", "a variable name (letters, digits and "
                         "'_', not starting with a digit)", example="EDITOR")
alias_name = Matching(r"[A-Za-z0-9_.+-]+", "an alias name (letters, digits and '_.+-')",
                      example="ll")
word = Matching(r"[^\s\x00-\x1f\x7f\"'\\]+", "one word without spaces, quotes or control "
                "characters", example="defaults")
mount_option = Matching(r"[^\s\x00-\x1f\x7f,\"'\\]+", "one mount option, without commas or "
                        "spaces "
                        "(one list entry per option)", example="noatime")
ini_key = Matching(r"[A-Za-z][A-Za-z0-9_-]*", "a setting name (letters, digits, '-' and "
                   "'_', e.g. 'Nice')", example="Nice")
ssh_keyword = Matching(r"[A-Za-z][A-Za-z0-9]*", "an sshd_config keyword (letters and "
                       "digits)", example="X11Forwarding")
# sshd reads quotes, backslashes and '#' (a comment) itself; a line break, NUL or '\r'
# would cut the line or make sshd refuse the whole file (a remote lockout).
ssh_value = Matching(r"[^\x00-\x1f\x7f#'\"\\]*[^\s\x00-\x1f\x7f#'\"\\]"
                     r"[^\x00-\x1f\x7f#'\"\\]*",
                     "an sshd_config value: one non-empty line without quotes, '#' or "
                     "backslashes (a list gives several words)", example="/etc/issue.net")
job_name = Matching(r"[A-Za-z0-9_.-]+", "a job name (letters, digits and '_.-')",
                    example="backup")
ini_value = Matching(r"(?:[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\\])?",
                     "one line without control characters or a trailing backslash (systemd "
                     "would join the next line to it)", example="yes")
_SPAN_UNIT = (r"(?:usec|us|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|"
              r"days|day|d|weeks|week|w|months|month|M|years|year|y)")
_SPAN_PART = rf"[0-9]+(?:\.[0-9]+)? ?{_SPAN_UNIT}"
duration = Matching(rf"infinity|[0-9]+(?:\.[0-9]+)?|{_SPAN_PART}(?: ?{_SPAN_PART})*",
                    "a systemd time span such as '30s', '1min 30s', '500ms' or 'infinity' "
                    "(see systemd.time(7)); an int means seconds", example="30s")
state_directory = Matching(_RELATIVE, "a directory relative to /var/lib such as 'app' or "
                           "'app/cache' (normalised, without '..', spaces or quotes)",
                           example="app")
unit_line = Matching(r"(?=\S)[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\\]",
                     "one non-empty line without control characters or a trailing "
                     "backslash (systemd would join the next line)", example="/usr/bin/true")
crypt_hash = Matching(r"!|!\*|\*|\$[0-9a-z]+\$[./A-Za-z0-9$=,]+",
                      "a crypt(3) hash as `mkpasswd -m yescrypt` prints it, or a lock ('!*')",
                      example="!*")
gecos = Matching(r"[^\x00-\x1f\x7f\":\\]*", "a description on one line without '\"', ':' "
                 "or '\\'", example="Alice")
tmpfiles_rule = Matching(r"[^#\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*[ \t]+[^\s\x00-\x1f\x7f]"
                         r"[^\x00-\x1f\x7f]*",
                         "one tmpfiles.d line: 'Type Path [Mode User Group Age Argument]', "
                         "e.g. 'd /srv/data 0755 root root -'", example="d /srv 0755 - - -")
# tmpfiles.d(5) line types, with their `+` forms.
TMPFILES_TYPES = ("f", "f+", "w", "w+", "d", "D", "e", "v", "q", "Q", "p", "p+", "L", "L+",
                  "c", "c+", "b", "b+", "C", "C+", "x", "X", "r", "R", "z", "Z", "t", "T",
                  "h", "H", "a", "a+", "A", "A+")
tmpfiles_type = Matching("|".join(type_.replace("+", "[+]") for type_ in TMPFILES_TYPES),
                         "a tmpfiles.d line type such as 'd', 'f+', 'L+' or 'Z'",
                         example="d")
tmpfiles_age = Matching(r"~?(?:[0-9]+(?:ms|us|s|m|min|h|d|w)?)(?: ?[0-9]+(?:ms|us|s|m|min|h|d|w)?)*",
                        "a tmpfiles.d age such as '10d', '12h' or '~1w'", example="10d")
tmpfiles_argument = Matching(r"(?:[^\s\x00-\x1f\x7f\\](?:[^\x00-\x1f\x7f\\]*"
                             r"[^\s\x00-\x1f\x7f\\])?)?",
                             "a tmpfiles.d argument: one line without control characters or "
                             "backslashes, not starting or ending with white space",
                             example="/srv/target")
system_id = IntRange(1, 65533, "user or group id from 1 to 65533")
ip_address = Parsed(_ip, "an IP address such as '192.0.2.1' or '2001:db8::1'")
calendar = Parsed(oncalendar.valid, "a systemd calendar expression such as 'daily', "
                  "'*-*-* 04:00:00', 'Mon..Fri 03:30' or '04:00 Europe/Berlin' (see "
                  "systemd.time(7); `systemd-analyze calendar EXPR` shows when it fires)")
ip_interface = Parsed(_cidr, "an address with prefix length such as '192.0.2.10/24'")


def entry_path(option: str, key: str) -> str:
    """The path of one entry of a dict option, for an assertion's `options`: the key quoted
    verbatim (only `"` escaped), as the engine's path syntax reads it back."""
    return f'{option}."{key.replace(chr(34), chr(92) + chr(34))}"'
