"""sudo: the administrators' group, and typed rules in a drop-in of /etc/sudoers.d.

Debian's /etc/sudoers already lets the `sudo` group run anything with its password (NixOS
calls that group `wheel`), and reads /etc/sudoers.d. pydeclos writes one drop-in,
/etc/sudoers.d/pydeclos (no '.' in the name: sudo skips such files), whose lines come after
Debian's and so win. Every value is typed, so no rule can add another line or widen itself.
"""

from pydeclos import option
from pydeclos import types as t

TAGS = ("NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "SETENV", "NOSETENV", "LOG_INPUT",
        "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT")

command_options = {
    "command": option(t.sudo_command | None, default=None, description=(
        "`ALL`, or an absolute path with optional arguments (then only those arguments)."),
        example="/usr/bin/systemctl restart nginx.service"),
    "options": option(list[t.enum(*TAGS)], default=[], description=(
        "sudo tags for this command, such as `NOPASSWD`."), example=["NOPASSWD"]),
}

rule_options = {
    "users": option(list[t.user_name], default=[], description="Users the rule applies to.",
                    example=["alice"]),
    "groups": option(list[t.group_name], default=[], description=(
        "Groups whose members the rule applies to."), example=["deploy"]),
    "run_as": option(t.sudo_run_as, default="ALL:ALL", description=(
        "Whom the commands run as: `user`, `user:group` or `ALL:ALL`."), example="root"),
    "commands": option(list[t.submodule(command_options)], default=[], description=(
        "The commands allowed, each with its own tags."),
        example=[{"command": "/usr/bin/systemctl restart nginx.service",
                  "options": ["NOPASSWD"]}]),
}

options = {"security": {"sudo": {
    "enable": option(bool, default=False, description=(
        "Whether to install sudo. Members of the `sudo` group (NixOS' `wheel`) may then run "
        "any command as any user.")),
    "wheel_needs_password": option(bool, default=True, description=(
        "Whether members of the `sudo` group must type their own password; false adds "
        "`%sudo ALL=(ALL:ALL) NOPASSWD: ALL`.")),
    "extra_rules": option(list[t.submodule(rule_options)], default=[], description=(
        "Further rules: who may run which commands as whom."),
        example=[{"groups": ["deploy"], "run_as": "root", "commands": [
            {"command": "/usr/bin/systemctl restart nginx.service",
             "options": ["NOPASSWD"]}]}]),
    "extra_config": option(t.lines, default="", description=(
        "sudoers lines added at the end of the drop-in, verbatim."),
        example="Defaults timestamp_timeout=5"),
}}}


def render_rule(rule) -> list[str]:
    who = ",".join([*rule.users, *(f"%{group}" for group in rule.groups)])
    # One line per command: sudo carries a command's tags over to the commands after it.
    return [f"{who} ALL=({rule.run_as}) " + "".join(f"{tag}: " for tag in command.options)
            + command.command for command in rule.commands]


def render_sudoers(sudo) -> str:
    lines = ["# Written by pydeclos from security.sudo; change system.py instead."]
    if not sudo.wheel_needs_password:
        lines.append("%sudo ALL=(ALL:ALL) NOPASSWD: ALL")
    for rule in sudo.extra_rules:
        lines += render_rule(rule)
    lines += [line for line in sudo.extra_config.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"


def rule_errors(sudo) -> list[dict]:
    errors = []
    for number, rule in enumerate(sudo.extra_rules):
        where = f"security.sudo.extra_rules[{number}]"
        if not rule.users and not rule.groups:
            errors.append(f"{where} names no `users` and no `groups`: say whom it is for")
        if not rule.commands:
            errors.append(f"{where} has no `commands`: give at least one (`ALL` for any)")
        for index, command in enumerate(rule.commands):
            if command.command is None:
                errors.append(f"{where}.commands[{index}] has no `command`: give an absolute "
                              "path (or `ALL` for any)")
    return [{"assertion": False, "options": ["security.sudo.extra_rules"], "message": m}
            for m in errors]


def config(cfg):
    sudo = cfg.security.sudo
    if not sudo.enable:
        return {}
    errors = rule_errors(sudo)
    if errors:
        return {"assertions": errors}
    return {
        "packages": ["sudo"],
        # sudo refuses a file others may write; everyone may read it (it holds no secret).
        "environment": {"etc": {"sudoers.d/pydeclos": {"text": render_sudoers(sudo),
                                                       "mode": "0444"}}},
    }
