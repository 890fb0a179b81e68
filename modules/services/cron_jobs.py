"""Periodic jobs, run by systemd timers rather than a cron daemon.

Each job becomes a `cron-<name>.service` (oneshot) and a `cron-<name>.timer`, so its runs
and output are in the journal (`journalctl -u cron-<name>`) and a run missed while the
machine was off happens at the next boot.
"""

from pydeclos import option
from pydeclos import types as t

# Newlines and tabs are escaped for systemd below; any other control character would be
# refused by ExecStart='s type at this module's line instead of at the user's.
COMMAND = t.matching(r"[^\x00-\x08\x0b-\x1f\x7f]*", "shell commands without control "
                     "characters other than newlines and tabs", example="/usr/local/bin/backup")


job_options = {
    "schedule": option(t.unit_line, default="daily", description=(
        "When to run, as a systemd calendar expression (`hourly`, `daily`, "
        "`Mon..Fri 08:00`, `*-*-* 03:30:00`; check with `systemd-analyze calendar`)."),
        example="*-*-* 03:30:00"),
    "command": option(COMMAND, default="", description=(
        "Shell command (run by /bin/sh -c)."), example="tar czf /srv/backup/etc.tgz /etc"),
    "user": option(t.user_name, default="root", description="User the job runs as."),
    "description": option(t.ini_value, default="", description="What the job does."),
    "persistent": option(bool, default=True, description=(
        "Whether to catch up, at boot, on a run missed while the machine was off.")),
}

options = {"services": {"cron_jobs": option(
    dict[t.job_name, t.submodule(job_options)], default={}, description=(
        "Periodic jobs, by name."),
    example={"backup": {"schedule": "daily", "command": "/usr/local/bin/backup"}})}}


def exec_line(command: str) -> str:
    """/bin/sh -c '<command>', escaped for systemd's command-line parser."""
    escaped = (command.strip().replace("\\", "\\\\").replace("'", "\\'")
               .replace("%", "%%").replace("$", "$$").replace("\n", "\\n").replace("\t", "\\t"))
    return f"/bin/sh -c '{escaped}'"


def job_errors(name, job, users) -> list[dict]:
    where = f"services.cron_jobs.{name}"
    errors = []
    if not job.command.strip():
        errors.append((f"{where}.command is empty: give the shell command to run",
                       t.entry_path("services.cron_jobs", name)))
    if job.user != "root" and job.user not in users:
        errors.append((f"{where}.user = {job.user!r}: no such user; declare "
                       f"users.users.{job.user} or run the job as root", f"{where}.user"))
    return [{"assertion": False, "message": m, "options": [o]} for m, o in errors]


def config(cfg):
    jobs = cfg.services.cron_jobs
    errors = []
    services, timers = {}, {}
    for name in sorted(jobs):
        job = jobs[name]
        errors += job_errors(name, job, cfg.users.users)
        unit = f"cron-{name}"
        services[unit] = {
            "description": job.description or f"Periodic job {name}",
            "type": "oneshot",
            "exec_start": [exec_line(job.command)],
            "user": None if job.user == "root" else job.user,
        }
        timers[unit] = {
            "description": f"Schedule of periodic job {name}",
            "on_calendar": [job.schedule.strip()],
            "persistent": job.persistent,
        }
    return {
        "systemd": {"services": services, "timers": timers},
        "assertions": errors,
    }
