"""From annotations to types: `as_type(list[str])` is `ListOf(Str())`.

Options are declared with ordinary Python annotations (`bool`, `list[str]`,
`dict[str, X]`, `Literal[...]`, `X | None`, unions) or with `Type` values; this is the one
place that maps the first onto the second. Leaf annotations it does not know are checked
with typeguard.
"""

from __future__ import annotations

import functools
import types as python_types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydeclos.modsys.compound_types import Anything, AttrsOf, ListOf, union_of
from pydeclos.modsys.errors import DeclarationError
from pydeclos.modsys.scalar_types import (
    Bool,
    Enum,
    Float,
    Int,
    Str,
    TypeguardLeaf,
    annotation_name,
)
from pydeclos.modsys.type_base import Type

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
        if args[0] is str:
            return AttrsOf(as_type(args[1]))
        if isinstance(args[0], Str):  # a constrained str: `dict[t.matching(...), X]`
            return AttrsOf(as_type(args[1]), args[0])
        raise DeclarationError(
            f"`{annotation_name(annotation)}`: option dicts are keyed by str (or a str type "
            f"such as t.matching(...)); write dict[str, {annotation_name(args[1])}]"
        )
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
