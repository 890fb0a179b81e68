"""Errors a configuration can cause while it is lowered to files.

Each names the option path that holds the offending value and says how to fix it, because
the user wrote that value, not the file it would have ended up in.
"""

from __future__ import annotations

from pydeclos.errors import PydeclosError


class LoweringError(PydeclosError):
    """A value cannot be written into the build tree as it is."""

    def __init__(self, option: str, problem: str, hint: str) -> None:
        self.option = option
        self.problem = problem
        self.hint = hint
        super().__init__(f"{option}: {problem}\n  hint: {hint}")


class UnsafeValue(LoweringError):
    """A value would change the meaning of the file it is written into (newlines, `[`, …)."""


class InvalidName(LoweringError):
    """A unit, user, group or interface name that the target tool would not accept."""


class UnsafePath(LoweringError):
    """A path that escapes where it belongs (`..`, absolute where relative is required)."""


class ConflictingDefinitions(LoweringError):
    """Two options would produce the same file with different content."""


class MissingSource(LoweringError):
    """A file named by `source` does not exist on the build host."""
