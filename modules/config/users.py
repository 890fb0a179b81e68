"""Users and groups, created by systemd-sysusers at boot.

`users.mutable` (default true) decides who owns the passwords on the machine. Either way
declared accounts are created when missing and never deleted. When true, a
`hashed_password` is set when it changes in the configuration, and changes made on the
machine (passwd, useradd, usermod) are kept otherwise. When false, every boot and every
switch sets each declared user's password to `hashed_password` again.

Clear-text passwords are never accepted: `users.users.<name>.password` exists only to turn
that mistake into an error explaining how to hash one.
"""

import re

from pydeclos import option
from pydeclos import types as t

USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}\$?$")

# Groups that exist on every Debian system (base-passwd) or that systemd and udev create;
# `extra_groups` may name them without declaring them.
SYSTEM_GROUPS = [
    "root", "daemon", "bin", "sys", "adm", "tty", "disk", "lp", "mail", "news", "uucp", "man",
    "proxy", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio",
    "dip", "www-data", "backup", "operator", "list", "irc", "src", "shadow", "utmp", "video",
    "sasl", "plugdev", "staff", "games", "users", "nogroup",
    "systemd-journal", "systemd-network", "systemd-resolve", "systemd-timesync", "input",
    "kvm", "render", "sgx", "clock", "messagebus", "netdev",
]

HASH_HINT = ("generate a hash with `mkpasswd -m yescrypt` (package whois) or "
             "`openssl passwd -6`, and set `hashed_password` to it")
REJECTED = "<clear-text password rejected>"


def reject_clear_text(value: str | None) -> str | None:
    """Never keep a clear-text password in the evaluated configuration."""
    return None if value is None else REJECTED


user_options = {
    "uid": option(int | None, default=None, description=(
        "User id; None lets systemd-sysusers pick a free one (stable once created).")),
    "group": option(str | None, default=None, description=(
        "Primary group; None means a group named like the user for normal users and "
        "`nogroup` for system users.")),
    "extra_groups": option(list[str], default=[], description=(
        "Supplementary groups: declared in `users.groups`, another user's own group, or a "
        "group every Debian system has (e.g. `sudo`, `adm`, `systemd-journal`)."),
        example=["sudo"]),
    "home": option(str | None, default=None, description=(
        "Home directory; None means `/home/<name>` for normal users and `/` otherwise.")),
    "create_home": option(bool | None, default=None, description=(
        "Whether to create the home directory; None means yes for normal users.")),
    "shell": option(str | None, default=None, description=(
        "Login shell; None means /bin/bash for normal users and /usr/sbin/nologin otherwise.")),
    "is_normal_user": option(bool, default=False, description=(
        "A person's account: uid from 1000, own group, home under /home, a login shell.")),
    "is_system_user": option(bool, default=False, description=(
        "A service account: uid below 1000, no home, no login shell.")),
    "description": option(str, default="", description="GECOS field (full name)."),
    "hashed_password": option(str | None, default=None, description=(
        "Password hash as in /etc/shadow (make one with `mkpasswd -m yescrypt` or "
        "`openssl passwd -6`); None means no password: log in with an SSH key."),
        example="$y$j9T$…"),
    "password": option(str | None, default=None, apply=reject_clear_text, description=(
        "Not supported: pydeclos never stores a clear-text password. Setting it is an error "
        "that explains how to make a `hashed_password`.")),
    "ssh_authorized_keys": option(list[str], default=[], description=(
        "Public keys allowed to log in as this user over SSH, one key per entry."),
        example=["ssh-ed25519 AAAAC3… alice@laptop"]),
}

group_options = {
    "gid": option(int | None, default=None, description=(
        "Group id; None lets systemd-sysusers pick one.")),
    "members": option(list[str], default=[], description="Users added to this group."),
}

options = {"users": {
    "mutable": option(bool, default=True, description=(
        "Whether passwords may be changed on the machine. True: a `hashed_password` is set "
        "when it changes in the configuration; passwd and useradd on the machine are kept "
        "otherwise. False: every boot and switch sets declared users' passwords to "
        "`hashed_password` again.")),
    "users": option(dict[str, t.submodule(user_options)], default={}, description=(
        "User accounts, by login name."),
        example={"alice": {"is_normal_user": True, "extra_groups": ["sudo"]}}),
    "groups": option(dict[str, t.submodule(group_options)], default={}, description=(
        "Groups, by name."), example={"deploy": {"members": ["alice"]}}),
}}


def user_errors(name, user, known_groups) -> list[str]:
    where = f"users.users.{name}"
    errors = []
    if not USER_NAME.match(name):
        errors.append(f"{where}: {name!r} is not a valid user name; use lowercase letters, "
                      "digits, `_` and `-`, starting with a letter or `_`, at most 32 characters")
    if user.password is not None:
        errors.append(f"{where}.password: clear-text passwords are not accepted (they would "
                      f"end up in the image and the build logs); {HASH_HINT}")
    hashed = user.hashed_password
    if hashed is not None and hashed not in ("!", "!*", "*") and not hashed.startswith("$"):
        errors.append(f"{where}.hashed_password does not look like a crypt hash (`$y$…`, "
                      f"`$6$…`); is it a clear-text password? {HASH_HINT}")
    if user.is_normal_user and user.is_system_user:
        errors.append(f"{where}: is_normal_user and is_system_user are both true; choose one")
    if user.uid is not None and not 0 <= user.uid < 2**31:
        errors.append(f"{where}.uid = {user.uid} is out of range (0 … 2147483647)")
    for group in ([user.group] if user.group else []) + list(user.extra_groups):
        if group not in known_groups:
            hint = (" Debian's administrators' group is `sudo`." if group == "wheel" else "")
            errors.append(f"{where}: group `{group}` does not exist: it is neither declared in "
                          "users.groups nor a standard Debian or systemd group. Declare it "
                          f"(users.groups.{group} = {{}}) or fix the name.{hint}")
    for key in user.ssh_authorized_keys:
        if "\n" in key.strip() or len(key.split()) < 2:
            errors.append(f"{where}.ssh_authorized_keys: {key[:40]!r}… is not one public key "
                          "(`<type> <base64> [comment]`, one key per list entry)")
    return errors


def config(cfg):
    users, groups = cfg.users.users, cfg.users.groups
    # A normal user without an explicit group gets a group named after it, which others
    # may then join.
    own_groups = {name for name, user in users.items() if user.is_normal_user and not user.group}
    known_groups = set(SYSTEM_GROUPS) | set(groups) | own_groups
    errors = []
    for name in sorted(users):
        errors += user_errors(name, users[name], known_groups)
    for name in sorted(groups):
        if not USER_NAME.match(name):
            errors.append(f"users.groups.{name}: {name!r} is not a valid group name")
    uids = {}
    for name in sorted(users):
        uid = users[name].uid
        if uid is not None and uid in uids:
            errors.append(f"users.users.{name}.uid = {uid} is already the uid of "
                          f"users.users.{uids[uid]}; give each user its own uid")
        uids.setdefault(uid, name)
    warnings = []
    if not cfg.users.mutable:
        for name in sorted(users):
            user = users[name]
            if user.is_normal_user and user.hashed_password is None \
                    and not user.ssh_authorized_keys:
                warnings.append(f"users.users.{name} has neither a hashed_password nor SSH "
                                "keys and users.mutable is false, so nobody can log in as it.")
    return {"assertions": [{"assertion": False, "message": m} for m in errors],
            "warnings": warnings}
