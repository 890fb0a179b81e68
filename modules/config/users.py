"""Users and groups, created by systemd-sysusers at boot.

`users.mutable` (default true) decides who owns the passwords on the machine. Either way
declared accounts are created when missing and never deleted. When true, a
`hashed_password` is set when it changes in the configuration, and changes made on the
machine (passwd, useradd, usermod) are kept otherwise. When false, every boot and every
switch sets each declared user's password to `hashed_password` again.

Clear-text passwords are never accepted: `users.users.<name>.password` exists only to turn
that mistake into an error explaining how to hash one.

Rendered here, written by lowering:
- users and groups as sysusers.d lines (/usr/lib/sysusers.d/pydeclos.conf), so
  systemd-sysusers creates them at build time (mkosi runs it) and, after a switch, at the
  next boot; existing users are never changed. sysusers allocates only system ids, so
  normal users without a `uid` get one from 1000 upwards in name order (explicit uids are
  skipped): set `uid` to keep it stable when users are added later;
- home directories as tmpfiles `d` lines (created at build time and at boot);
- password hashes in /usr/share/pydeclos/passwords (mode 0600), applied by the
  `pydeclos-passwords` service with `chpasswd --encrypted`: once per change of the hashes
  when `users.mutable` is true, at every boot when it is false (and then a declared user
  without `hashed_password` is locked, `!*`, as sysusers creates it).
`ssh_authorized_keys` are shipped by the openssh module.
"""

import hashlib

from pydeclos import option
from pydeclos import types as t

FIRST_NORMAL_UID = 1000
PASSWORDS = "share/pydeclos/passwords"

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
    "uid": option(t.system_id | None, default=None, description=(
        "User id; None lets systemd-sysusers pick a free one (stable once created).")),
    "group": option(t.group_name | None, default=None, description=(
        "Primary group; None means a group named like the user for normal users and "
        "`nogroup` for system users.")),
    "extra_groups": option(list[t.group_name], default=[], description=(
        "Supplementary groups: declared in `users.groups`, another user's own group, or a "
        "group every Debian system has (e.g. `sudo`, `adm`, `systemd-journal`)."),
        example=["sudo"]),
    "home": option(t.absolute_path | None, default=None, description=(
        "Home directory; None means `/home/<name>` for normal users and `/` otherwise.")),
    "create_home": option(bool | None, default=None, description=(
        "Whether to create the home directory; None means yes for normal users.")),
    "shell": option(t.absolute_path | None, default=None, description=(
        "Login shell; None means /bin/bash for normal users and /usr/sbin/nologin otherwise.")),
    "is_normal_user": option(bool, default=False, description=(
        "A person's account: uid from 1000, own group, home under /home, a login shell.")),
    "is_system_user": option(bool, default=False, description=(
        "A service account: uid below 1000, no home, no login shell.")),
    "description": option(t.gecos, default="", description="GECOS field (full name)."),
    "hashed_password": option(t.crypt_hash | None, default=None, description=(
        "Password hash as in /etc/shadow (make one with `mkpasswd -m yescrypt` or "
        "`openssl passwd -6`); None means no password: log in with an SSH key."),
        example="$y$j9T$Ng9kQ1wqnYh6eJ3/y4PBb.$mC8M2mNGCDT0bVwIcgqv9BMyI3vF3t9nEBm6Z1TqXn5"),
    "password": option(str | None, default=None, apply=reject_clear_text, description=(
        "Not supported: pydeclos never stores a clear-text password. Setting it is an error "
        "that explains how to make a `hashed_password`.")),
    "ssh_authorized_keys": option(list[t.non_empty_line], default=[], description=(
        "Public keys allowed to log in as this user over SSH, one key per entry."),
        example=["ssh-ed25519 AAAAC3… alice@laptop"]),
}

group_options = {
    "gid": option(t.system_id | None, default=None, description=(
        "Group id; None lets systemd-sysusers pick one.")),
    "members": option(list[t.user_name], default=[], description="Users added to this group."),
}

options = {"users": {
    "mutable": option(bool, default=True, description=(
        "Whether passwords may be changed on the machine. True: a `hashed_password` is set "
        "when it changes in the configuration; passwd and useradd on the machine are kept "
        "otherwise. False: every boot and switch sets declared users' passwords to "
        "`hashed_password` again.")),
    "users": option(dict[t.user_name, t.submodule(user_options)], default={}, description=(
        "User accounts, by login name."),
        example={"alice": {"is_normal_user": True, "extra_groups": ["sudo"]}}),
    "groups": option(dict[t.group_name, t.submodule(group_options)], default={}, description=(
        "Groups, by name."), example={"deploy": {"members": ["alice"]}}),
}}


def user_errors(name, user, known_groups) -> list[dict]:
    where = f"users.users.{name}"
    errors = []
    if user.password is not None:
        # No `options`: listing where it was defined would print the password itself.
        errors.append((f"{where}.password: clear-text passwords are not accepted (they would "
                       f"end up in the image and the build logs); {HASH_HINT}", None))
    if user.is_normal_user and user.is_system_user:
        errors.append((f"{where}: is_normal_user and is_system_user are both true; choose one",
                       f"{where}.is_system_user"))
    for group in ([user.group] if user.group else []) + list(user.extra_groups):
        if group not in known_groups:
            hint = (" Debian's administrators' group is `sudo`." if group == "wheel" else "")
            field = "group" if group == user.group else "extra_groups"
            errors.append((f"{where}: group `{group}` does not exist: it is neither declared in "
                           "users.groups nor a standard Debian or systemd group. Declare it "
                           f"(users.groups.{group} = {{}}) or fix the name.{hint}",
                           f"{where}.{field}"))
    for key in user.ssh_authorized_keys:
        if len(key.split()) < 2:
            errors.append((f"{where}.ssh_authorized_keys: {key[:40]!r}… is not one public key "
                           "(`<type> <base64> [comment]`, one key per list entry)",
                           f"{where}.ssh_authorized_keys"))
    return [{"assertion": False, "message": m, "options": [o] if o else []} for m, o in errors]


def allocate_uids(users) -> dict[str, int | None]:
    """Explicit uids, and the next free one from 1000 for normal users without one."""
    explicit = {user.uid for user in users.values() if user.uid is not None}
    next_uid = FIRST_NORMAL_UID
    uids = {}
    for name in sorted(users):
        uid = users[name].uid
        if uid is None and users[name].is_normal_user:
            while next_uid in explicit:
                next_uid += 1
            uid, next_uid = next_uid, next_uid + 1
        uids[name] = uid
    return uids


def primary_group(name, user) -> str:
    return user.group or (name if user.is_normal_user else "nogroup")


def home_of(name, user) -> str:
    return user.home or (f"/home/{name}" if user.is_normal_user else "/")


def render_sysusers(users, groups) -> str:
    lines = ["# Generated by pydeclos from users.groups and users.users."]
    members = []
    for name in sorted(groups):
        gid = groups[name].gid
        lines.append(f"g {name} {gid if gid is not None else '-'}")
        members += [(member, name) for member in groups[name].members]
    uids = allocate_uids(users)
    for name in sorted(users):
        user = users[name]
        uid = "-" if uids[name] is None else str(uids[name])
        explicit_group = user.group is not None or not user.is_normal_user
        ident = f"{uid}:{primary_group(name, user)}" if explicit_group else uid
        gecos = f'"{user.description}"' if user.description else "-"
        shell = user.shell or ("/bin/bash" if user.is_normal_user else "/usr/sbin/nologin")
        lines.append(f"u {name} {ident} {gecos} {home_of(name, user)} {shell}")
        members += [(name, group) for group in user.extra_groups]
    lines += [f"m {member} {group}" for member, group in sorted(set(members))]
    return "\n".join(lines) + "\n"


def render_homes(users) -> str:
    lines = ["# Generated by pydeclos: home directories of users.users."]
    for name in sorted(users):
        user = users[name]
        create = user.is_normal_user if user.create_home is None else user.create_home
        home = home_of(name, user).rstrip("/")
        if create and home:
            lines.append(f"d {home} 0700 {name} {primary_group(name, user)} -")
    return "\n".join(lines) + "\n"


def render_passwords(users, mutable: bool) -> str:
    """`name:hash` lines for chpasswd; with immutable users, no hash means locked."""
    lines = []
    for name in sorted(users):
        hashed = users[name].hashed_password
        if hashed is not None:
            lines.append(f"{name}:{hashed}\n")
        elif not mutable:
            lines.append(f"{name}:!*\n")
    return "".join(lines)


def password_service(digest: str, mutable: bool) -> dict:
    """The unit that applies the hashes; its digest changes with them, so a switch sees a
    changed unit and runs it again."""
    service = {
        "description": "Apply the password hashes declared in users.users",
        "type": "oneshot",
        "after": ["systemd-sysusers.service", "local-fs.target"],
        "before": ["systemd-user-sessions.service"],
        "wanted_by": ["multi-user.target"],
        "exec_start": ["/usr/sbin/chpasswd --encrypted"],
        "unit_config": {"X-Restart-Triggers": digest},
        "service_config": {"RemainAfterExit": "yes", "StandardInput": f"file:/usr/{PASSWORDS}"},
    }
    if mutable:
        stamp = f"/var/lib/pydeclos/passwords-applied-{digest[:16]}"
        service["unit_config"]["ConditionPathExists"] = f"!{stamp}"
        service["service_config"]["ExecStartPost"] = f"/usr/bin/touch {stamp}"
        service["service_config"]["StateDirectory"] = "pydeclos"
    return service


def config(cfg):
    users, groups = cfg.users.users, cfg.users.groups
    # A normal user without an explicit group gets a group named after it, which others
    # may then join.
    own_groups = {name for name, user in users.items() if user.is_normal_user and not user.group}
    known_groups = set(SYSTEM_GROUPS) | set(groups) | own_groups
    errors = []
    for name in sorted(users):
        errors += user_errors(name, users[name], known_groups)
    uids = {}
    for name in sorted(users):
        uid = users[name].uid
        if uid is not None and uid in uids:
            errors.append({"assertion": False, "options": [f"users.users.{name}.uid",
                                                           f"users.users.{uids[uid]}.uid"],
                           "message": f"users.users.{name}.uid = {uid} is already the uid of "
                                      f"users.users.{uids[uid]}; give each user its own uid"})
        uids.setdefault(uid, name)
    warnings = []
    if not cfg.users.mutable:
        for name in sorted(users):
            user = users[name]
            if user.is_normal_user and user.hashed_password is None \
                    and not user.ssh_authorized_keys:
                warnings.append(f"users.users.{name} has neither a hashed_password nor SSH "
                                "keys and users.mutable is false, so nobody can log in as it.")
    files = {
        "lib/sysusers.d/pydeclos.conf": {"text": render_sysusers(users, groups)},
        "lib/tmpfiles.d/pydeclos-users.conf": {"text": render_homes(users)},
    }
    services = {}
    passwords = render_passwords(users, cfg.users.mutable)
    if passwords:
        files[PASSWORDS] = {"text": passwords, "mode": "0600"}
        digest = hashlib.sha256(passwords.encode()).hexdigest()
        services["pydeclos-passwords"] = password_service(digest, cfg.users.mutable)
    return {"files": {"usr": files}, "systemd": {"services": services},
            "assertions": errors, "warnings": warnings}
