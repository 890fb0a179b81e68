"""Option types: what a value may be, and how several definitions merge into one.

Options are declared with ordinary annotations (`bool`, `list[str]`, `dict[str, X]`,
`Literal[...]`, `X | None`, unions) or with the values below (`t.Port`, `t.Path`,
`t.submodule(...)`, and the constrained `t.matching(...)`, `t.between(...)`, `t.one_line`,
...); `as_type` (annotations.py) turns either into a `Type`. Each type has a shallow
`check` and a `merge` (NixOS' types.nix model: one merge protocol per type). Validation
belongs here, in types, so an error names the line that wrote the value.

This module is the public vocabulary only; the types live in type_base, scalar_types,
constrained_types, compound_types and submodules.
"""

from __future__ import annotations

import re
from typing import Any

from pydeclos.modsys.annotations import as_type
from pydeclos.modsys.compound_types import Anything, union_of
from pydeclos.modsys.constrained_types import (
    IntRange,
    Matching,
    NonEmpty,
    NonEmptyLine,
    OneLine,
)
from pydeclos.modsys.scalar_types import Enum, Lines, Package, PathType, PortType, Unique
from pydeclos.modsys.submodules import Submodule
from pydeclos.modsys.type_base import Type

__all__ = [
    "Port", "Path", "lines", "package", "anything", "unique", "submodule", "enum",
    "matching", "between", "positive", "unsigned", "one_line", "non_empty", "non_empty_line",
    "Type", "Anything", "Submodule", "as_type", "union_of",
]


# The public vocabulary (`from pydeclos import types as t`).
Port = PortType()
Path = PathType()
lines = Lines()
package = Package()
anything = Anything()
positive = IntRange(1, None, "positive int (≥ 1)")
unsigned = IntRange(0, None, "unsigned int (≥ 0)")
one_line = OneLine()
non_empty = NonEmpty()
non_empty_line = NonEmptyLine()


def matching(pattern: str | re.Pattern[str], what: str, example: str | None = None) -> Type:
    """A str that matches `pattern` whole (`re.fullmatch`). `what` names it for humans and
    reads after "expected": "a host name (letters, digits and '-', 1–63 characters)";
    docs show it without the article. `example`, if given, must match and is shown in errors."""
    return Matching(pattern, what, example)


def between(lo: int | None, hi: int | None) -> Type:
    """An int from `lo` to `hi`, both included (None: no bound on that side); bools fail."""
    return IntRange(lo, hi)


def unique(inner: Any, message: str | None = None) -> Type:
    """Exactly one definition (after priority filtering) of `inner`."""
    return Unique(as_type(inner), message)


def enum(*values: Any) -> Type:
    """One of `values` (the same as `Literal[...]`)."""
    return Enum(tuple(values))


def submodule(options: Any = None, *, freeform: Any = None) -> Type:
    """A nested set of options: `options` is a dict of options, a `Module` or a list of them;
    with `freeform=dict[str, X]`, keys that are not declared options are kept, typed X."""
    if options is None:
        modules = []
    elif isinstance(options, list | tuple):
        modules = list(options)
    else:
        modules = [options]
    free = as_type(freeform) if freeform is not None else None
    return Submodule(modules, free)
