"""Constrained scalar types: a str or an int with a rule, named for humans.

These are how modules validate (NixOS' `strMatching`, `ints.between`, `nonEmptyStr`): the
check runs where every definition is type-checked, so a bad value is reported at the
file:line that wrote it (the user's system.py, when the user wrote it), never at the line
of the module that declared the option. Nothing here knows what the strings mean; a
library builds its host names, unit names, ... from `Matching`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydeclos.modsys.errors import DeclarationError
from pydeclos.modsys.scalar_types import Int, Str
from pydeclos.modsys.type_base import Type

_ARTICLE = re.compile(r"^(an?|the) ", re.IGNORECASE)


def _noun(what: str) -> str:
    """'a host name (…)' → 'host name (…)': the name docs show, without its article."""
    return _ARTICLE.sub("", what, count=1)


class Matching(Str):
    """A str that `re.fullmatch`es a pattern; `what` says in words what that means."""

    def __init__(self, pattern: str | re.Pattern[str], what: str,
                 example: str | None = None) -> None:
        if not isinstance(what, str) or not what.strip():
            raise DeclarationError(
                f"t.matching({_pattern_text(pattern)!r}, ...) needs a description of what "
                "matches, e.g. \"a host name (letters, digits and '-')\""
            )
        try:
            self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        except re.error as error:
            raise DeclarationError(
                f"t.matching for {what}: the pattern {pattern!r} is not a regular "
                f"expression ({error}); fix the pattern"
            ) from None
        self.what = what
        self.example = example
        self.description = _noun(what)
        if example is not None and not self.check(example):
            raise DeclarationError(
                f"t.matching for {what}: the example {example!r} does not match the "
                f"pattern {self.pattern.pattern!r}; give an example that matches"
            )

    def check(self, value: Any) -> bool:
        # fullmatch, never match: `$` would accept a trailing newline.
        return isinstance(value, str) and self.pattern.fullmatch(value) is not None

    def explain(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        example = f"; {self.example!r} is one" if self.example is not None else ""
        return f"expected {self.what}, got {value!r}{example}"

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, Matching) and other.pattern == self.pattern \
                and other.what == self.what:
            return self
        return None


def _pattern_text(pattern: Any) -> str:
    return pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)


class IntRange(Int):
    """An int within bounds (inclusive); `None` leaves a side open. A bool is no int here."""

    def __init__(self, lo: int | None, hi: int | None, description: str | None = None) -> None:
        for bound in (lo, hi):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                raise DeclarationError(
                    f"t.between({lo!r}, {hi!r}): the bounds must be ints (or None for no bound)"
                )
        if lo is not None and hi is not None and lo > hi:
            raise DeclarationError(
                f"t.between({lo}, {hi}): the lower bound is above the upper one; swap them"
            )
        self.lo, self.hi = lo, hi
        self.description = description or f"int {_range_text(lo, hi)}"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, int) and type(value) is not bool
            and (self.lo is None or value >= self.lo)
            and (self.hi is None or value <= self.hi)
        )

    def explain(self, value: Any) -> str:
        if isinstance(value, int) and type(value) is not bool:
            return f"expected an int {_range_text(self.lo, self.hi)}, got {value}"
        return ""

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, IntRange) and (other.lo, other.hi) == (self.lo, self.hi):
            return self
        return None


def _range_text(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"from {lo} to {hi}"
    if lo is not None:
        return f"≥ {lo}"
    if hi is not None:
        return f"≤ {hi}"
    return "of any size"


class OneLine(Str):
    """A str without line breaks, NUL or other control characters (one line of a file)."""

    description = "one-line str"

    def check(self, value: Any) -> bool:
        return isinstance(value, str) and _first_control(value) is None

    def explain(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        found = _first_control(value)
        if found is None:
            return ""
        position, char = found
        return (f"expected one line of text, but {value!r} holds {_char_name(char)} at "
                f"position {position}; remove it")


def _first_control(value: str) -> tuple[int, str] | None:
    for position, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return position, char
    return None


def _char_name(char: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\0": "a NUL character",
             "\t": "a tab"}
    return names.get(char, f"the control character {char!r}")


class NonEmpty(Str):
    """A str with something in it besides white space (NixOS' nonEmptyStr)."""

    description = "non-empty str"

    def check(self, value: Any) -> bool:
        return isinstance(value, str) and value.strip() != ""

    def explain(self, value: Any) -> str:
        if isinstance(value, str):
            return f"expected a non-empty string, got {value!r}"
        return ""


class NonEmptyLine(OneLine):
    """One line of text with something in it besides white space."""

    description = "non-empty one-line str"

    def check(self, value: Any) -> bool:
        return super().check(value) and value.strip() != ""

    def explain(self, value: Any) -> str:
        if isinstance(value, str) and value.strip() == "":
            return f"expected a non-empty line of text, got {value!r}"
        return super().explain(value)
