"""pydeclos on the machine: the image carries the pydeclos that built it, plus health checks.

`pydeclos switch`, `rollback`, `generations` and `status` run on the machine itself, so by
default the image ships the building pydeclos (its source under /usr/lib/pydeclos, the
`pydeclos` command in /usr/bin) and the Debian packages it imports. The source is added by
`pydeclos build`, so an image always holds exactly the pydeclos version that built it.

Health checks run in one unit ordered before boot-complete.target, so boot counting judges
every new generation booted through systemd-boot. A soft-reboot bypasses the boot loader,
so after a switch by soft-reboot a failed check starts `pydeclos rollback` instead.
"""

from pydeclos import option
from pydeclos import types as t

# What pydeclos imports, as trixie packages (see pyproject.toml's dependencies).
RUNTIME_PACKAGES = ["python3", "python3-click", "python3-networkx", "python3-typeguard"]
CHECK_UNIT = "pydeclos-health-check"
REVERT_UNIT = "pydeclos-health-revert"
# Layout root: started by a stage-only switch; stopping it (at the next shutdown) carries
# the /etc changes made since into the staged generation (pydeclos/switch/switch.py).
CARRY_UNIT = "pydeclos-etc-carry"
# The source the launcher runs is added there by `pydeclos build` (build/self_copy.py).
SOURCE_DIR = "/usr/lib/pydeclos"
LAUNCHER_TEXT = f"""\
#!/usr/bin/python3 -I
# pydeclos, as shipped in this /usr by the pydeclos that built the image.
import sys

sys.path.insert(0, "{SOURCE_DIR}")
sys.dont_write_bytecode = True  # /usr is read-only

from pydeclos.cli import main

main()
"""
# Written by `switch` before a soft-reboot; /run survives a soft-reboot, not a boot.
SOFT_SWITCH_MARKER = "/run/pydeclos/soft-switch"

options = {"pydeclos": {
    "on_machine": option(bool, default=True, description=(
        "Ship the pydeclos that builds the image inside it (source in /usr/lib/pydeclos, "
        "`pydeclos` in /usr/bin, runnable by root) with python3 and the packages it needs, "
        "so `pydeclos switch`, `rollback`, `generations` and `status` work on the machine. "
        "Costs about 60 MB of /usr, most of it python3.")),
    "health_checks": {
        "commands": option(list[t.non_empty_line], default=[], description=(
            "Shell commands (run by /bin/sh as root) that must all exit 0 for a generation "
            "to count as working. They run once per boot, before boot-complete.target."),
            example=["curl -fsS http://localhost/healthz"]),
        "units": option(list[t.unit_name], default=[], description=(
            "Units that must be active once the boot has finished, for a generation to count "
            "as working."), example=["nginx.service"]),
        "revert": option(bool, default=True, description=(
            "After a switch by soft-reboot, go back to the previous generation (by "
            "`pydeclos rollback`) when a health check fails. After a real boot, boot counting "
            "does that: the entry is not blessed and falls back after its tries.")),
    },
}}


def systemd_quote(command: str) -> str:
    """`command` as one argument of an Exec line: double-quoted, with $ and % escaped."""
    escaped = command.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("$", "$$").replace("%", "%%") + '"'


def render_health(checks) -> dict:
    commands = [f"/bin/sh -c {systemd_quote(c)}" for c in checks.commands]
    commands += [f"/bin/systemctl is-active --quiet {unit}" for unit in checks.units]
    services = {CHECK_UNIT: {
        "description": "pydeclos health checks: does this generation work?",
        "type": "oneshot",
        "exec_start": commands,
        "service_config": {"RemainAfterExit": "yes"},
        "after": ["multi-user.target", *checks.units],
        "before": ["boot-complete.target"],
        "wanted_by": ["multi-user.target"],
        "required_by": ["boot-complete.target"],
        "unit_config": {"OnFailure": f"{REVERT_UNIT}.service"} if checks.revert else {},
    }}
    if checks.revert:
        services[REVERT_UNIT] = {
            "description": "Go back to the previous generation after a failed health check",
            "type": "oneshot",
            "exec_start": ["/usr/bin/pydeclos rollback --yes"],
            "wanted_by": [],
            "unit_config": {"ConditionPathExists": SOFT_SWITCH_MARKER},
        }
    return services


def render_carry() -> dict:
    """Not enabled: `switch --stage-only` starts it, so that only a machine with a staged
    generation pays for pydeclos at shutdown; After= makes it stop while /var is mounted."""
    return {CARRY_UNIT: {
        "description": "Carry /etc changes into the staged generation at shutdown",
        "type": "oneshot",
        "exec_start": ["/bin/true"],
        "exec_stop": ["/usr/bin/pydeclos switch --carry-etc"],
        "service_config": {"RemainAfterExit": "yes", "TimeoutStopSec": "300"},
        "after": ["local-fs.target"],
        "unit_config": {"RequiresMountsFor": "/var/lib/pydeclos"},
        "wanted_by": [],
    }}


def config(cfg):
    settings = cfg.pydeclos
    result = {}
    services = {}
    if settings.on_machine:
        result["packages"] = RUNTIME_PACKAGES
        result["files"] = {"usr": {"bin/pydeclos": {"text": LAUNCHER_TEXT, "mode": "0755"}}}
        if cfg.image.layout == "root":
            services.update(render_carry())
    checks = settings.health_checks
    if checks.commands or checks.units:
        services.update(render_health(checks))
        if checks.revert and not settings.on_machine:
            result["assertions"] = [{"assertion": False, "message": (
                "pydeclos.health_checks.revert needs pydeclos.on_machine (the revert runs "
                "`pydeclos rollback` on the machine); set one of them to False")}]
    if services:
        result["systemd"] = {"services": services}
    return result
