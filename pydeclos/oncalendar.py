"""systemd calendar expressions (OnCalendar=, systemd.time(7)), checked without systemd.

A timer with an expression systemd cannot parse is refused when the unit loads, on the
machine, long after the build; so an expression is checked where it is written. The check
is a subset of systemd's grammar (tests/test_oncalendar.py compares it with
`systemd-analyze calendar`): what it accepts, systemd accepts.
"""

from __future__ import annotations

import functools
import re
import zoneinfo

SHORTHANDS = frozenset({"minutely", "hourly", "daily", "monthly", "weekly", "yearly",
                        "annually", "quarterly", "semiannually"})
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = frozenset(_DAYS) | {"monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday"}
_DAY = r"[A-Za-z]+"
_WEEKDAYS = re.compile(rf"{_DAY}(?:(?:\.\.|-){_DAY})?(?:,{_DAY}(?:(?:\.\.|-){_DAY})?)*")
_ZONE = re.compile(r"UTC|[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)+")
_NUMBER = r"[0-9]+"
# One element of a field: `*`, `5`, `1..5`, each optionally repeated (`0/15`, `8..17/2`).
_ELEMENT = re.compile(rf"(\*|{_NUMBER}(?:\.\.{_NUMBER})?)(?:/({_NUMBER}))?")
_SECOND_ELEMENT = re.compile(rf"(\*|{_NUMBER}(?:\.[0-9]{{1,6}})?(?:\.\.{_NUMBER})?)"
                             rf"(?:/({_NUMBER}(?:\.[0-9]{{1,6}})?))?")


def _field(text: str, low: float, high: float, seconds: bool = False) -> bool:
    """A comma list of elements, each within low..high (a repetition of at least 1)."""
    pattern = _SECOND_ELEMENT if seconds else _ELEMENT
    for element in text.split(","):
        found = pattern.fullmatch(element)
        if found is None:
            return False
        start, repeat = found.groups()
        if start == "*":
            if repeat is not None:
                return False  # systemd refuses `*/n`; write `0/n`
            continue
        bounds = [float(n) for n in start.split("..")]
        if any(not low <= n <= high for n in bounds) or bounds[0] > bounds[-1]:
            return False
        if repeat is not None and float(repeat) <= 0:
            return False
    return True


def _weekdays(text: str) -> bool:
    return bool(_WEEKDAYS.fullmatch(text)) and all(
        day.lower() in _DAY_NAMES for day in re.split(r"\.\.|-|,", text))


def _date(text: str) -> bool:
    parts = re.split(r"-|(?=~)", text)
    if "~" in text:  # `*-02~03`: the third-last day; only before the day field
        if text.count("~") != 1 or not re.search(r"~[^-~]+$", text):
            return False
        parts = [p.lstrip("~") for p in parts]
    if len(parts) == 2:
        parts = ["*", *parts]
    if len(parts) != 3:
        return False
    year, month, day = parts
    return _field(year, 1970, 2199) and _field(month, 1, 12) and _field(day, 1, 31)


def _time(text: str) -> bool:
    parts = text.split(":")
    if len(parts) == 2:
        parts.append("00")
    if len(parts) != 3:
        return False
    hour, minute, second = parts
    return _field(hour, 0, 23) and _field(minute, 0, 59) and _field(second, 0, 59.999999, True)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(word: str) -> bool:
    """UTC, or a tz database zone this host knows (systemd refuses one the machine lacks)."""
    return bool(_ZONE.fullmatch(word)) and (word == "UTC" or not _zones() or word in _zones())


def valid(expression: str) -> bool:
    """Whether `expression` is a calendar expression systemd accepts (a strict subset)."""
    words = expression.split()
    if not words or expression != expression.strip() or "  " in expression:
        return False
    if len(words) == 1 and words[0].lower() in SHORTHANDS:
        return True
    if len(words) > 1 and _zone(words[-1]):
        words = words[:-1]
    if words and _weekdays(words[0]):
        words = words[1:]
    if not words or len(words) > 2:
        return not words and len(expression.split()) == 1 and _weekdays(expression)
    if len(words) == 2:
        return _date(words[0]) and _time(words[1])
    return _time(words[0]) or _date(words[0])
