"""Time zone and network time (systemd-timesyncd)."""

import difflib
import zoneinfo

from pydeclos import option

options = {"time": {
    "timezone": option(str, default="UTC", description=(
        "Time zone, as a tz database name."), example="Europe/Berlin"),
    "ntp": {
        "enable": option(bool, default=True, description=(
            "Whether to keep the clock in sync with systemd-timesyncd.")),
        "servers": option(list[str], default=[], description=(
            "NTP servers; empty uses Debian's pool."), example=["pool.ntp.org"]),
    },
}}


def config(cfg):
    time = cfg.time
    errors = []
    # The build host's tz database decides; if it has none, the check is skipped.
    zones = zoneinfo.available_timezones()
    if zones and time.timezone not in zones:
        close = difflib.get_close_matches(time.timezone, sorted(zones), n=3)
        hint = f"did you mean {', '.join(f'`{z}`' for z in close)}?" if close else \
            "see `timedatectl list-timezones`"
        errors.append(f"time.timezone = {time.timezone!r} is not a known time zone; {hint}")
    result = {"assertions": [{"assertion": False, "message": m} for m in errors]}
    # /etc/localtime links into tzdata's zone files; UTC needs none (glibc's fallback).
    packages = ["tzdata"] if time.timezone != "UTC" else []
    if time.ntp.enable:
        packages.append("systemd-timesyncd")
    result["packages"] = packages
    if time.ntp.enable:
        result["systemd"] = {"enabled": ["systemd-timesyncd.service"],
                             "package_units": ["systemd-timesyncd.service"]}
    return result
