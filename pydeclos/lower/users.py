"""users.* -> sysusers.d lines, home directories, SSH keys and password hashes.

- Users and groups are sysusers.d lines, so systemd-sysusers creates them at build time
  (mkosi runs it) and, after a switch, at the next boot. Existing users are never changed.
- sysusers allocates only system IDs, so normal users without a `uid` get one from 1000
  upwards in name order (explicit uids are skipped). Set `uid` to keep it stable when
  users are added later.
- Home directories are tmpfiles `d` lines (created at build time and at boot, so a user
  added by a switch gets one too). `ssh_authorized_keys` are not written here: the
  openssh module ships them as /etc/ssh/authorized_keys.d/<user> (a managed /etc file that
  sshd reads through AuthorizedKeysFile), which leaves ~/.ssh/authorized_keys to the user.
- Password hashes (never clear text) go to /usr/share/pydeclos/passwords (mode 0600) and
  pydeclos-passwords.service feeds them to `chpasswd --encrypted`: once per change of the
  hashes when `users.mutable` is true; at every boot when it is false, and then a declared
  user without `hashed_password` is locked (`!*`), as sysusers creates it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydeclos.lower import validate as v
from pydeclos.lower.common import EXTRA, UNIT_DIR, as_list, section, sha256
from pydeclos.lower.errors import ConflictingDefinitions, UnsafeValue
from pydeclos.lower.filetree import File, FileTree, Symlink
from pydeclos.lower.ini import render_unit

SYSUSERS = f"{EXTRA}/usr/lib/sysusers.d/pydeclos.conf"
TMPFILES = f"{EXTRA}/usr/lib/tmpfiles.d/pydeclos-users.conf"
PASSWORDS = "usr/share/pydeclos/passwords"
PASSWORD_UNIT = "pydeclos-passwords.service"
FIRST_NORMAL_UID = 1000
_HASH = re.compile(r"^\$[0-9a-z]+\$[./A-Za-z0-9$=,]+$")
_LOCKED = ("!", "!*", "*")


def _id(value: Any, option: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 65534:
        raise UnsafeValue(option, f"{value!r} is not a usable id",
                          "choose a number from 1 to 65533 (0 is root's)")
    return value


def _description(value: Any, option: str) -> str:
    text = v.text_line(str(value or ""), option)
    if any(c in text for c in "\":\\"):
        raise UnsafeValue(option, f"{text!r} contains '\"', ':' or '\\'",
                          "leave these characters out of the description")
    return text


def _hash(value: Any, option: str) -> str:
    text = str(value)
    if text not in _LOCKED and not _HASH.fullmatch(text):
        raise UnsafeValue(
            option, "this does not look like a crypt(3) password hash",
            "never put a clear-text password here; create a hash with "
            "`mkpasswd --method=yescrypt` and paste that",
        )
    return text


def _users(cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every declared user with defaults resolved and values checked, in name order."""
    declared = section(cfg, "users", "users")
    explicit = {u.get("uid") for u in declared.values() if u and u.get("uid") is not None}
    next_uid = FIRST_NORMAL_UID
    users = []
    for name in sorted(declared):
        spec = declared[name] or {}
        option = f"users.users.{name}"
        v.user_name(name, option)
        normal = bool(spec.get("is_normal_user"))
        if normal and spec.get("is_system_user"):
            raise ConflictingDefinitions(option, "is both a normal and a system user",
                                         "set only one of is_normal_user and is_system_user")
        uid = _id(spec.get("uid"), f"{option}.uid")
        if uid is None and normal:
            while next_uid in explicit:
                next_uid += 1
            uid, next_uid = next_uid, next_uid + 1
        group = spec.get("group")
        if group is not None:
            v.user_name(group, f"{option}.group")
        home = spec.get("home") or (f"/home/{name}" if normal else "/")
        shell = spec.get("shell") or ("/bin/bash" if normal else "/usr/sbin/nologin")
        users.append({
            "name": name, "option": option, "uid": uid, "normal": normal,
            "group": group or (name if normal else "nogroup"),
            "explicit_group": group is not None or not normal,
            "home": v.absolute_path(home, f"{option}.home"),
            "shell": v.absolute_path(shell, f"{option}.shell"),
            "description": _description(spec.get("description"), f"{option}.description"),
            "create_home": normal if spec.get("create_home") is None else spec["create_home"],
            "extra_groups": [v.user_name(g, f"{option}.extra_groups[{i}]")
                             for i, g in enumerate(as_list(spec.get("extra_groups")))],
            "hashed_password": (None if spec.get("hashed_password") is None
                                else _hash(spec["hashed_password"], f"{option}.hashed_password")),
        })
    return users


def _sysusers(cfg: Mapping[str, Any], users: list[dict[str, Any]]) -> str:
    lines = ["# Generated by pydeclos from users.groups and users.users."]
    groups = section(cfg, "users", "groups")
    members: list[tuple[str, str]] = []
    for name in sorted(groups):
        spec = groups[name] or {}
        option = f"users.groups.{name}"
        v.user_name(name, option)
        gid = _id(spec.get("gid"), f"{option}.gid")
        lines.append(f"g {name} {gid if gid is not None else '-'}")
        members += [(v.user_name(m, f"{option}.members[{i}]"), name)
                    for i, m in enumerate(as_list(spec.get("members")))]
    for user in users:
        uid = "-" if user["uid"] is None else str(user["uid"])
        ident = f"{uid}:{user['group']}" if user["explicit_group"] else uid
        gecos = f'"{user["description"]}"' if user["description"] else "-"
        lines.append(f'u {user["name"]} {ident} {gecos} {user["home"]} {user["shell"]}')
        members += [(user["name"], group) for group in user["extra_groups"]]
    lines += [f"m {member} {group}" for member, group in sorted(set(members))]
    return "\n".join(lines) + "\n"


def _password_unit(mutable: bool, digest: str) -> str:
    unit = [
        ("Description", "Apply the password hashes declared in users.users"),
        ("After", "systemd-sysusers.service local-fs.target"),
        ("Before", "systemd-user-sessions.service"),
        # Changes with the hashes, so that a switch sees a changed unit and reruns it.
        ("X-Restart-Triggers", digest),
    ]
    service = [
        ("Type", "oneshot"),
        ("RemainAfterExit", "yes"),
        ("StandardInput", f"file:/{PASSWORDS}"),
        ("ExecStart", "/usr/sbin/chpasswd --encrypted"),
    ]
    if mutable:
        stamp = f"/var/lib/pydeclos/passwords-applied-{digest[:16]}"
        unit.append(("ConditionPathExists", f"!{stamp}"))
        service.append(("ExecStartPost", f"/usr/bin/touch {stamp}"))
        service.append(("StateDirectory", "pydeclos"))
    return render_unit([("Unit", unit), ("Service", service)])


def lower_users(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    users = _users(cfg)
    mutable = bool(section(cfg, "users").get("mutable", True))
    tree.add_text(SYSUSERS, _sysusers(cfg, users))
    tmpfiles = ["# Generated by pydeclos: home directories of users.users."]
    hashes = []
    for user in users:
        name, home, group = user["name"], user["home"].rstrip("/"), user["group"]
        if user["create_home"] and home:
            tmpfiles.append(f"d {home} 0700 {name} {group} -")
        if user["hashed_password"] is not None:
            hashes.append(f"{name}:{user['hashed_password']}\n")
        elif not mutable:
            hashes.append(f"{name}:!*\n")  # immutable: no declared hash means locked
    tree.add_text(TMPFILES, "\n".join(tmpfiles) + "\n")
    if hashes:
        content = "".join(hashes)
        tree.add(f"{EXTRA}/{PASSWORDS}", File(content.encode(), 0o600))
        tree.add_text(f"{UNIT_DIR}/{PASSWORD_UNIT}", _password_unit(mutable, sha256(content)))
        tree.add(f"{UNIT_DIR}/multi-user.target.wants/{PASSWORD_UNIT}",
                 Symlink(f"../{PASSWORD_UNIT}"))
    return tree
