"""The errors lowering can meet that a configuration cannot rule out: a host file named by
`environment.etc.<path>.source` that is missing or unsafe to read when the tree is written.

Every other value was checked by its option type where the user wrote it; the serializers'
own guards raise ValueError, which is a bug in a type, not a user error.
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
    """A value that must not be written as it is (a host file of the wrong kind or size)."""


class MissingSource(LoweringError):
    """A file named by `source` does not exist on the build host."""
