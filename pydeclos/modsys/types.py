"""Option types: what a value may be, and how several definitions merge into one.

Options are declared with ordinary annotations (`bool`, `list[str]`, `dict[str, X]`,
`Literal[...]`, `X | None`, unions) or with the values below (`t.Port`, `t.Path`,
`t.submodule(...)`, ...); `as_type` turns either into a `Type`. Each type has a shallow
`check` and a `merge` (NixOS' types.nix model: one merge protocol per type). Leaf
annotations this module does not know are checked with typeguard.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
import types as python_types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydeclos.modsys.definitions import (
    NO_VALUE,
    Definition,
    merge_definitions,
    merge_equal,
    merge_unique,
)
from pydeclos.modsys.errors import DeclarationError, NullMixError, show_path
from pydeclos.modsys.properties import Property
from pydeclos.modsys.values import FrozenDict, FrozenList, freeze

__all__ = [
    "Port", "Path", "lines", "package", "anything", "unique", "submodule", "enum",
    "Type", "as_type",
]


class Type:
    """Base of option types. `passthrough`: a single checked definition is its own value."""

    description = "value"
    passthrough = False
    has_submodule = False  # values differ by where they live (submodules know their name)

    def check(self, value: Any) -> bool:
        return True

    def explain(self, value: Any) -> str:
        """Why `value` fails `check` (empty when the description says it all)."""
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        return freeze(merge_equal(path, defs))

    def sub_options(self) -> tuple[Any, str] | None:
        """(option tree, placeholder) of nested options, for docs and nested declarations."""
        return None

    def with_options(self, options: Any, site: Any) -> Type | None:
        """This type extended by nested option declarations, if it supports them."""
        return None

    def combine(self, other: Type) -> Type | None:
        """The type of an option declared twice, with `self` and `other`; None if incompatible."""
        return self if other.description == self.description and type(other) is type(self) else None

    def __or__(self, other: Any) -> Type:
        return union_of([self, as_type(other)])

    def __ror__(self, other: Any) -> Type:
        return union_of([as_type(other), self])

    def __repr__(self) -> str:
        return self.description


class Bool(Type):
    description = "bool"
    passthrough = True

    def check(self, value: Any) -> bool:
        return type(value) is bool


class Int(Type):
    description = "int"
    passthrough = True

    def check(self, value: Any) -> bool:
        return isinstance(value, int) and type(value) is not bool


class Float(Type):
    description = "float"
    passthrough = True

    def check(self, value: Any) -> bool:
        return isinstance(value, int | float) and type(value) is not bool


class Str(Type):
    description = "str"
    passthrough = True

    def check(self, value: Any) -> bool:
        return isinstance(value, str)


class PortType(Int):
    """A TCP/UDP port number."""

    description = "port (0–65535)"

    def check(self, value: Any) -> bool:
        return isinstance(value, int) and type(value) is not bool and 0 <= value <= 65535

    def explain(self, value: Any) -> str:
        if isinstance(value, int) and type(value) is not bool:
            return f"{value} is outside 0–65535"
        return ""


class PathType(Type):
    """An absolute path, normalised (`//` and `/./` collapse, no trailing `/`), no `..`."""

    description = "absolute path"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, str) and value.startswith("/")
            and ".." not in value.split("/") and "\0" not in value
        )

    def explain(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        if not value.startswith("/"):
            return f"{json.dumps(value)} is relative; write it from the root, e.g. \"/{value}\""
        if ".." in value.split("/"):
            return f"{json.dumps(value)} contains `..`; write the path it means without it"
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        normal = [d.with_value(normalise_path(d.value)) for d in defs]
        return merge_equal(path, normal)


def normalise_path(value: str) -> str:
    normal = posixpath.normpath(value)
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


class Lines(Type):
    """Text whose definitions are joined with newlines (in order priority, module order)."""

    description = "lines"

    def check(self, value: Any) -> bool:
        return isinstance(value, str)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        return "\n".join(d.value for d in defs)


_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[^\s=]+)?$")


class Package(Type):
    """A distribution package name (`htop`, `libc6:amd64`, `nginx=1.22.1-9`); one definition."""

    description = "package"

    def check(self, value: Any) -> bool:
        return isinstance(value, str) and bool(_PACKAGE_NAME.match(value))

    def explain(self, value: Any) -> str:
        if isinstance(value, str):
            return f"{json.dumps(value)} is not a package name (lowercase letters, digits, + - .)"
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        return merge_unique(path, defs)


class Anything(Type):
    """Any value: dicts merge key by key, recursively; other values must be equal."""

    description = "anything"

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        if all(isinstance(d.value, Mapping) for d in defs):
            return AttrsOf(self).merge(path, defs)
        kinds = {_kind(d.value) for d in defs}
        if len(kinds) > 1:
            from pydeclos.modsys.definitions import show_definitions
            from pydeclos.modsys.errors import ConflictingDefinitionsError

            raise ConflictingDefinitionsError(
                f"The option `{show_path(path)}` has conflicting option types:\n"
                f"{show_definitions(defs)}\nGive every definition the same kind of value."
            )
        if all(isinstance(d.value, list | tuple) for d in defs):
            if len(defs) > 1:
                from pydeclos.modsys.definitions import show_definitions
                from pydeclos.modsys.errors import ConflictingDefinitionsError

                raise ConflictingDefinitionsError(
                    f"The option `{show_path(path)}` has conflicting definitions (lists of "
                    f"`anything` are not concatenated):\n{show_definitions(defs)}\n"
                    "Give it one definition, or declare it as `list[...]` to concatenate."
                )
            return ListOf(self).merge(path, defs)
        return freeze(merge_equal(path, defs))


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


class Enum(Type):
    """One of a fixed set of values (`Literal["a", "b"]`)."""

    passthrough = True

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.description = "Literal[" + ", ".join(repr(v) for v in values) + "]"

    def check(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, Enum):
            return Enum(tuple(dict.fromkeys(self.values + other.values)))
        return None


class Unique(Type):
    """Exactly one definition (after priority filtering), of the inner type."""

    def __init__(self, inner: Type, message: str | None) -> None:
        self.inner = inner
        self.has_submodule = inner.has_submodule
        self.message = message or ""
        self.description = inner.description

    def check(self, value: Any) -> bool:
        return self.inner.check(value)

    def explain(self, value: Any) -> str:
        return self.inner.explain(value)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        merge_unique(path, defs, self.message)
        return self.inner.merge(path, defs)

    def sub_options(self) -> tuple[Any, str] | None:
        return self.inner.sub_options()


class TypeguardLeaf(Type):
    """An annotation pydeclos has no merge rule for: checked by typeguard, merged by equality."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation
        self.description = _annotation_name(annotation)

    def check(self, value: Any) -> bool:
        return self.explain(value) == ""

    def explain(self, value: Any) -> str:
        from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

        try:
            check_type(value, self.annotation,
                       collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
        except TypeCheckError as error:
            return str(error)
        return ""


def _annotation_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")


class ListOf(Type):
    """A list; definitions concatenate, by order priority, then module order."""

    def __init__(self, elem: Type) -> None:
        self.elem = elem
        self.description = f"list[{elem.description}]"
        self.has_submodule = elem.has_submodule

    def check(self, value: Any) -> bool:
        return isinstance(value, list | tuple)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        elem = self.elem
        simple, check = elem.passthrough, elem.check
        out = []
        for definition in defs:
            for position, item in enumerate(definition.value):
                if simple and not isinstance(item, Property):
                    if not check(item):
                        from pydeclos.modsys.definitions import type_mismatch

                        raise type_mismatch(
                            (*path, f"[{position}]"), elem, [definition.with_value(item)]
                        )
                    out.append(item)
                    continue
                merged = merge_definitions(
                    (*path, f"[{position}]"), elem, [definition.with_value(item)]
                )
                if merged is not NO_VALUE:
                    out.append(merged)
        return FrozenList(out)

    def sub_options(self) -> tuple[Any, str] | None:
        inner = self.elem.sub_options()
        return (inner[0], "*" + ("." + inner[1] if inner[1] else "")) if inner else None

    def with_options(self, options: Any, site: Any) -> Type | None:
        inner = self.elem.with_options(options, site)
        return ListOf(inner) if inner else None

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, ListOf):
            inner = self.elem.combine(other.elem)
            return ListOf(inner) if inner else None
        return None


class AttrsOf(Type):
    """`dict[str, X]`: definitions merge key by key; a key whose definitions all vanished
    (false `mk_if`) is dropped."""

    def __init__(self, elem: Type) -> None:
        self.elem = elem
        self.description = f"dict[str, {elem.description}]"
        self.has_submodule = elem.has_submodule

    def check(self, value: Any) -> bool:
        return isinstance(value, Mapping) and all(isinstance(key, str) for key in value)

    def explain(self, value: Any) -> str:
        if isinstance(value, Mapping):
            bad = [key for key in value if not isinstance(key, str)]
            if bad:
                return f"the keys must be strings, not {bad[0]!r}"
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        per_key: dict[str, list[Definition]] = {}
        for definition in defs:
            keys = definition.keys
            for key, item in definition.value.items():
                entry = definition.with_value(item, (*keys, key))
                found = per_key.get(key)
                if found is None:
                    per_key[key] = [entry]
                else:
                    found.append(entry)
        elem = self.elem
        simple, check = elem.passthrough, elem.check
        out = {}
        for key, entries in per_key.items():
            if simple and len(entries) == 1 and not isinstance(entries[0].value, Property):
                value = entries[0].value
                if check(value):
                    out[key] = value
                    continue
            merged = merge_definitions((*path, key), elem, entries)
            if merged is not NO_VALUE:
                out[key] = merged
        return FrozenDict(out)

    def sub_options(self) -> tuple[Any, str] | None:
        inner = self.elem.sub_options()
        return (inner[0], "<name>" + ("." + inner[1] if inner[1] else "")) if inner else None

    def with_options(self, options: Any, site: Any) -> Type | None:
        inner = self.elem.with_options(options, site)
        return AttrsOf(inner) if inner else None

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, AttrsOf):
            inner = self.elem.combine(other.elem)
            return AttrsOf(inner) if inner else None
        return None


class NullOr(Type):
    """`X | None`: all None gives None; None mixed with values is an error."""

    def __init__(self, elem: Type) -> None:
        self.elem = elem
        self.description = f"{elem.description} | None"
        self.has_submodule = elem.has_submodule
        self.passthrough = elem.passthrough

    def check(self, value: Any) -> bool:
        return value is None or self.elem.check(value)

    def explain(self, value: Any) -> str:
        return self.elem.explain(value)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        nulls = sum(1 for d in defs if d.value is None)
        if nulls == len(defs):
            return None
        if nulls:
            from pydeclos.modsys.definitions import show_definitions

            raise NullMixError(
                f"The option `{show_path(path)}` is defined both None and not None, in:\n"
                f"{show_definitions(defs)}\n"
                "Remove one of them, or use `mk_force(value)` or `mk_default(value)` to change "
                "the priority on any of these definitions."
            )
        return self.elem.merge(path, defs)

    def sub_options(self) -> tuple[Any, str] | None:
        return self.elem.sub_options()

    def with_options(self, options: Any, site: Any) -> Type | None:
        inner = self.elem.with_options(options, site)
        return NullOr(inner) if inner else None

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, NullOr):
            inner = self.elem.combine(other.elem)
            return NullOr(inner) if inner else None
        return None


class Either(Type):
    """A union: if every definition fits one member (tried in order), merge as that member."""

    def __init__(self, members: list[Type]) -> None:
        self.members = members
        self.description = " | ".join(m.description for m in members)
        self.has_submodule = any(m.has_submodule for m in members)
        self.passthrough = all(m.passthrough for m in members)

    def check(self, value: Any) -> bool:
        return any(member.check(value) for member in self.members)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        for member in self.members:
            if all(member.check(d.value) for d in defs):
                return member.merge(path, defs)
        return freeze(merge_unique(path, defs))


def union_of(members: list[Type]) -> Type:
    flat: list[Type] = []
    nullable = False
    for member in members:
        if isinstance(member, NullOr):
            nullable = True
            member = member.elem
        if isinstance(member, Enum) and member.values == (None,):
            nullable = True
            continue
        flat.extend(member.members if isinstance(member, Either) else [member])
    inner: Type = flat[0] if len(flat) == 1 else Either(flat)
    return NullOr(inner) if nullable else inner


class Submodule(Type):
    """A nested evaluation: definitions are modules (dicts of option values, Module objects
    or config functions); `name` is the last element of the option path."""

    def __init__(self, modules: list[Any], freeform: Type | None = None) -> None:
        self.modules = modules
        self.freeform = freeform
        self.description = "submodule"
        self.has_submodule = True
        self._prepared: Any = None

    def check(self, value: Any) -> bool:
        from pydeclos.modsys.modules import Module

        return isinstance(value, Mapping | Module) or callable(value)

    def prepared(self) -> Any:
        """The loaded declaring modules and their option tree (built once per type)."""
        if self._prepared is None:
            from pydeclos.modsys.evaluate import prepare_submodule

            self._prepared = prepare_submodule(self)
        return self._prepared

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        from pydeclos.modsys.evaluate import evaluate_submodule

        return evaluate_submodule(self, path, defs)

    def sub_options(self) -> tuple[Any, str] | None:
        return (self.prepared().tree, "")

    def with_options(self, options: Any, site: Any) -> Type | None:
        return Submodule([*self.modules, options], self.freeform)

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, Submodule):
            return Submodule([*self.modules, *other.modules], self.freeform or other.freeform)
        return None


# The public vocabulary (`from pydeclos import types as t`).
Port = PortType()
Path = PathType()
lines = Lines()
package = Package()
anything = Anything()


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
                f"`{_annotation_name(annotation)}`: option dicts are keyed by str; "
                f"write dict[str, {_annotation_name(args[1])}]"
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
