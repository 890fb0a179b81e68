"""Option types: what a value may be, and how several definitions merge into one.

Options are declared with ordinary annotations (`bool`, `list[str]`, `dict[str, X]`,
`Literal[...]`, `X | None`, unions) or with the values below (`t.Port`, `t.Path`,
`t.submodule(...)`, and the constrained `t.matching(...)`, `t.between(...)`, `t.one_line`,
...); `as_type` turns either into a `Type`. Each type has a shallow `check` and a `merge`
(NixOS' types.nix model: one merge protocol per type). Leaf annotations this module does
not know are checked with typeguard. Validation belongs here, in types, so an error names
the line that wrote the value.
"""

from __future__ import annotations

import functools
import re
import types as python_types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydeclos.modsys.compound_types import (
    Anything,
    AttrsOf,
    ListOf,
    Submodule,
    union_of,
)
from pydeclos.modsys.constrained_types import (
    IntRange,
    Matching,
    NonEmpty,
    NonEmptyLine,
    OneLine,
)
from pydeclos.modsys.errors import DeclarationError
from pydeclos.modsys.scalar_types import (
    Bool,
    Enum,
    Float,
    Int,
    Lines,
    Package,
    PathType,
    PortType,
    Str,
    TypeguardLeaf,
    Unique,
    annotation_name,
)
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


_SCALARS: dict[Any, type[Type]] = {bool: Bool, int: Int, float: Float, str: Str}


def as_type(annotation: Any) -> Type:
    """The `Type` of an annotation (or a `Type` itself)."""
    if isinstance(annotation, Type):
        return annotation
    try:
        return _cached_type(annotation)
    except TypeError:  # unhashable annotation
        return _build_type(annotation)


@functools.lru_cache(maxsize=1024)
def _cached_type(annotation: Any) -> Type:
    """Types are immutable values, so equal annotations can share one."""
    return _build_type(annotation)


def _build_type(annotation: Any) -> Type:
    scalar = _SCALARS.get(annotation)
    if scalar is not None:
        return scalar()
    if annotation is None or annotation is type(None):
        return Enum((None,))
    if annotation is Any or annotation is object:
        return Anything()
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is list or origin is list:
        return ListOf(as_type(args[0]) if args else Anything())
    if annotation is dict or origin is dict or origin is Mapping or annotation is Mapping:
        if not args:
            return AttrsOf(Anything())
        if args[0] is not str:
            raise DeclarationError(
                f"`{annotation_name(annotation)}`: option dicts are keyed by str; "
                f"write dict[str, {annotation_name(args[1])}]"
            )
        return AttrsOf(as_type(args[1]))
    if origin is typing.Union or origin is python_types.UnionType:
        return union_of([as_type(arg) for arg in args])
    if origin is Literal:
        return Enum(tuple(args))
    if isinstance(annotation, type) or origin is not None:
        return TypeguardLeaf(annotation)
    raise DeclarationError(
        f"{annotation!r} is not a type; use an annotation such as `bool`, `list[str]`, "
        "`dict[str, int]`, `Literal[...]`, or a pydeclos type such as `t.Port`"
    )
