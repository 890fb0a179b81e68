"""Files in /etc, and the login shells' environment variables and aliases.

Every `environment.etc` entry is shipped inside /usr with the generation and linked from
/etc, so switching generations switches /etc with it. The path is checked here because it
becomes a file name: relative to /etc, normalised, never leaving /etc.
"""

import posixpath
import re

from pydeclos import option
from pydeclos import types as t

VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ALIAS = re.compile(r"^[A-Za-z0-9_.:+@%-]+$")
MODE = re.compile(r"^0?[0-7]{3}$")

# /etc files that an option owns: defining them here would fight with that option.
OWNED = {
    "hostname": "networking.hostname",
    "fstab": "file_systems",
    "passwd": "users.users",
    "group": "users.groups",
    "shadow": "users.users.<name>.hashed_password",
    "gshadow": "users.groups",
    "localtime": "time.timezone",
    "timezone": "time.timezone",
    "locale.conf": "i18n.locale",
    "vconsole.conf": "console.keymap",
    "machine-id": "nothing: it is generated on each machine at first boot",
}

etc_options = {
    "enable": option(bool, default=True, description=(
        "Whether to install this file; false removes an entry another module made.")),
    "text": option(t.lines | None, default=None, description="The file's content."),
    "source": option(str | None, default=None, description=(
        "Absolute path of a file on the build host to copy instead of `text`.")),
    "mode": option(str, default="0644", description="Octal file mode."),
    "user": option(str, default="root", description="Owner."),
    "group": option(str, default="root", description="Group."),
}

options = {"environment": {
    "etc": option(dict[str, t.submodule(etc_options)], default={}, description=(
        "Files under /etc, by path relative to /etc (e.g. `ssh/sshd_config.d/local.conf`)."),
        example={"motd": {"text": "Welcome.\n"}}),
    "variables": option(dict[str, str], default={}, description=(
        "Environment variables for login sessions."), example={"EDITOR": "vim"}),
    "shell_aliases": option(dict[str, str], default={}, description=(
        "Aliases for interactive shells."), example={"ll": "ls -l"}),
}}


def path_error(path: str) -> str | None:
    """Why `path` cannot name a file under /etc, or None."""
    if not path or path.startswith("/"):
        return "must be relative to /etc (write `ssh/sshd_config.d/x.conf`, not `/etc/…`)"
    if ".." in path.split("/"):
        return "must not contain `..`: the file has to stay inside /etc"
    if posixpath.normpath(path) != path or path == ".":
        return f"is not normalised; write `{posixpath.normpath(path)}`"
    if any(c.isspace() or c == "\\" for c in path):
        return "must not contain whitespace or backslashes"
    return None


def etc_errors(path: str, entry) -> list[str]:
    where = f'environment.etc."{path}"'
    reason = path_error(path)
    if reason:
        return [f"{where}: the path {reason}"]
    errors = []
    if path in OWNED:
        errors.append(f"{where}: /etc/{path} is managed by {OWNED[path]}; set that instead")
    if entry.enable and (entry.text is None) == (entry.source is None):
        errors.append(f"{where}: give exactly one of `text` or `source`")
    if entry.source is not None and not entry.source.startswith("/"):
        errors.append(f"{where}.source = {entry.source!r} must be an absolute path on the "
                      "build host")
    if not MODE.match(entry.mode):
        errors.append(f"{where}.mode = {entry.mode!r}: write an octal mode like `0644`")
    return errors


def config(cfg):
    env = cfg.environment
    errors = []
    for path in sorted(env.etc):
        errors += etc_errors(path, env.etc[path])
    for name in sorted(env.variables):
        if not VARIABLE.match(name):
            errors.append(f'environment.variables."{name}": not a variable name (letters, '
                          "digits and `_`, not starting with a digit)")
    for name in sorted(env.shell_aliases):
        if not ALIAS.match(name):
            errors.append(f'environment.shell_aliases."{name}": an alias name cannot '
                          "contain spaces, quotes or shell syntax")
    return {"assertions": [{"assertion": False, "message": m} for m in errors]}
