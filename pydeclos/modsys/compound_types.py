"""Compound option types: lists, dicts, optional values, unions, anything.

(Submodules, whose values are nested evaluations, are in submodules.py.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.modsys.definitions import (
    NO_VALUE,
    Definition,
    key_mismatch,
    merge_definitions,
    merge_equal,
    merge_unique,
    show_definitions,
    type_mismatch,
)
from pydeclos.modsys.errors import (
    ConflictingDefinitionsError,
    NullMixError,
)
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.properties import Property
from pydeclos.modsys.scalar_types import Enum
from pydeclos.modsys.type_base import Type
from pydeclos.modsys.values import FrozenDict, FrozenList, freeze


class Anything(Type):
    """Any value: dicts merge key by key, recursively; other values must be equal."""

    description = "anything"

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        if all(isinstance(d.value, Mapping) for d in defs):
            return AttrsOf(self).merge(path, defs)
        kinds = {_kind(d.value) for d in defs}
        if len(kinds) > 1:
            raise ConflictingDefinitionsError(
                f"The option `{show_path(path)}` has conflicting option types:\n"
                f"{show_definitions(defs)}\nGive every definition the same kind of value."
            )
        if all(isinstance(d.value, list | tuple) for d in defs):
            # Not concatenated (unlike list[...]): equal lists merge, different ones conflict.
            lists = [d.with_value(ListOf(self).merge(path, [d])) for d in defs]
            return merge_equal(path, lists)
        return freeze(merge_equal(path, defs))


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


class Wrapper(Type):
    """A type around one element type (lists, dicts, optional values): nested option
    declarations and redeclarations go to the element."""

    placeholder = ""  # an element in documented option paths: "*", "<name>"

    def __init__(self, elem: Type) -> None:
        self.elem = elem
        self.has_submodule = elem.has_submodule

    def sub_options(self) -> tuple[Any, str] | None:
        inner = self.elem.sub_options()
        if inner is None:
            return None
        tree, rest = inner
        return tree, ".".join(part for part in (self.placeholder, rest) if part)

    def with_options(self, options: Any, site: Any) -> Type | None:
        inner = self.elem.with_options(options, site)
        return type(self)(inner) if inner else None

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, Wrapper) and type(other) is type(self):
            inner = self.elem.combine(other.elem)
            return type(self)(inner) if inner else None
        return None


class ListOf(Wrapper):
    """A list; definitions concatenate, by order priority, then module order."""

    placeholder = "*"

    def __init__(self, elem: Type) -> None:
        super().__init__(elem)
        self.description = f"list[{elem.description}]"

    def check(self, value: Any) -> bool:
        return isinstance(value, list | tuple)

    def empty_value(self, path: tuple[str, ...]) -> Any:
        return FrozenList()

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        elem = self.elem
        simple, check = elem.passthrough, elem.check
        out = []
        for definition in defs:
            for position, item in enumerate(definition.value):
                if simple and not isinstance(item, Property):
                    if not check(item):
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


class AttrsOf(Wrapper):
    """`dict[str, X]`: definitions merge key by key; a key whose definitions all vanished
    (false `mk_if`) is dropped. With a `key_type` (`dict[t.matching(...), X]`), every key
    is checked, and a bad one is reported at the line of that key."""

    placeholder = "<name>"

    def __init__(self, elem: Type, key_type: Type | None = None) -> None:
        super().__init__(elem)
        self.key_type = key_type
        key = key_type.description if key_type is not None else "str"
        self.description = f"dict[{key}, {elem.description}]"

    def with_options(self, options: Any, site: Any) -> Type | None:
        inner = self.elem.with_options(options, site)
        return AttrsOf(inner, self.key_type) if inner else None

    def combine(self, other: Type) -> Type | None:
        if not isinstance(other, AttrsOf) or _name(self.key_type) != _name(other.key_type):
            return None
        inner = self.elem.combine(other.elem)
        return AttrsOf(inner, self.key_type) if inner else None

    def check(self, value: Any) -> bool:
        if type(value) is not dict and not isinstance(value, Mapping):
            return False
        for key in value:
            if not isinstance(key, str):
                return False
        return True

    def explain(self, value: Any) -> str:
        if isinstance(value, Mapping):
            bad = [key for key in value if not isinstance(key, str)]
            if bad:
                return f"the keys must be strings, not {bad[0]!r}"
        return ""

    def empty_value(self, path: tuple[str, ...]) -> Any:
        return FrozenDict()

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        per_key: dict[str, list[Definition]] = {}
        key_type = self.key_type
        for definition in defs:
            keys = definition.keys
            for key, item in definition.value.items():
                entry = definition.with_value(item, (*keys, key))
                if key_type is not None and not key_type.check(key):
                    raise key_mismatch(path, key_type, key, entry)
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


def _name(key_type: Type | None) -> str:
    return "str" if key_type is None else key_type.description


class NullOr(Wrapper):
    """`X | None`: all None gives None; None mixed with values is an error."""

    def __init__(self, elem: Type) -> None:
        super().__init__(elem)
        self.description = f"{elem.description} | None"
        self.passthrough = elem.passthrough

    def check(self, value: Any) -> bool:
        return value is None or self.elem.check(value)

    def explain(self, value: Any) -> str:
        return self.elem.explain(value)

    def empty_value(self, path: tuple[str, ...]) -> Any:
        return None

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        nulls = sum(1 for d in defs if d.value is None)
        if nulls == len(defs):
            return None
        if nulls:
            raise NullMixError(
                f"The option `{show_path(path)}` is defined both null and not null (None and a "
                f"value), in:\n"
                f"{show_definitions(defs)}\n"
                "Remove one of them, or use `mk_force(value)` or `mk_default(value)` to change "
                "the priority on any of these definitions."
            )
        return self.elem.merge(path, defs)


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
