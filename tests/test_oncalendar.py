"""The calendar check agrees with systemd: what it accepts, `systemd-analyze calendar`
accepts, so a timer never fails to load on the machine over an expression pydeclos let by."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pydeclos.oncalendar import valid
from tests.conftest import unavailable

ACCEPTED = [
    "daily", "Daily", "minutely", "quarterly", "Mon", "Mon-Fri", "Mon *-*-* 04:00",
    "mon,fri 04:00", "Mon..Fri 08:00", "Mon..Tue,Thu 1:2:3", "*:*:0/20", "*:0/15",
    "0..23/2:00", "8..17/2:00", "00:00/2", "4:0", "*:*", "*-*-* *:*:*", "*-*-* 4:00:00.5",
    "*:*:0.5/0.25", "04:00 UTC", "04:00 Europe/Berlin", "Sat,Sun 03:00 UTC", "12-01",
    "*-*-1,15 02:00", "2026-*-* 0:0:0", "*-02~03", "02~03", "*-*~1", "Fri *-*~7/1",
    "2026-02~03 01:00",
]
REFUSED = [
    "", " daily", "daily ", "hourly daily", "today", "*/2:00", "1..5", "5..3:00", "25:00",
    "04:60", "04:00:60", "*:0/0", "2026-13-01", "1969-01-01", "Moo 04:00", "Mon Tue 04:00",
    "03:30 +02", "4:00 Nowhere/Zone", "Mon *-*-* 04:00 UTC foo", "04:00\n05:00",
]


def systemd_accepts(expression: str) -> bool:
    return subprocess.run(["systemd-analyze", "calendar", expression],
                          capture_output=True).returncode == 0


@pytest.fixture(scope="module", autouse=True)
def analyze() -> None:
    if shutil.which("systemd-analyze") is None:
        unavailable("needs systemd-analyze")


@pytest.mark.parametrize("expression", ACCEPTED)
def test_accepted_as_systemd_accepts_it(expression: str) -> None:
    assert valid(expression)
    assert systemd_accepts(expression)


@pytest.mark.parametrize("expression", REFUSED)
def test_refused_and_systemd_refuses_it_too(expression: str) -> None:
    assert not valid(expression)
    assert not systemd_accepts(expression)
