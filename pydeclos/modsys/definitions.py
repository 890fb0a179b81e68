"""Definitions and how one option's definitions become its value.

For one option: discharge `mk_if`/`mk_merge` (conditions must be bools), keep the
definitions of the best (lowest) override priority, stable-sort by order priority, check
each against the type, merge by type, then `apply` — NixOS' mergeDefinitions, step by step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydeclos.modsys.errors import (
    ConflictingDefinitionsError,
    InvalidDefinitionError,
    OptionTypeError,
    UniqueOptionError,
)
from pydeclos.modsys.locations import Locatable, Site, merge_part
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.properties import (
    PLAIN_ORDER,
    PLAIN_PRIORITY,
    If,
    Merge,
    Order,
    Override,
    Property,
)
from pydeclos.modsys.values import show_value

if TYPE_CHECKING:
    from pydeclos.modsys.type_base import Type


class NoValue:
    """Marks 'no definition survived' (every one was under a false `mk_if`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = NoValue()


class FixedSource:
    """The source of a definition that has one fixed place (an option's default)."""

    __slots__ = ("site",)

    def __init__(self, site: Site) -> None:
        self.site = site

    def locate(self, keys: tuple[str, ...]) -> Site:
        return self.site


class Definition:
    """One value given to one option by one module, and where it was written."""

    __slots__ = ("value", "source", "keys", "module")

    def __init__(self, value: Any, source: Locatable, keys: tuple[str, ...],
                 module: int) -> None:
        self.value = value
        self.source = source
        self.keys = keys  # the dict keys that led from the module's config to this value
        self.module = module  # index in module order

    def with_value(self, value: Any, keys: tuple[str, ...] | None = None) -> Definition:
        return Definition(value, self.source, self.keys if keys is None else keys, self.module)

    @property
    def site(self) -> Site:
        return self.source.locate(self.keys)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Definition)
            and self.keys == other.keys
            and self.source is other.source
            and self.value == other.value
        )

    def __hash__(self) -> int:
        return hash(self.keys)

    def __repr__(self) -> str:
        return f"Definition({self.value!r} at {'.'.join(self.keys)})"


def show_definitions(defs: list[Definition], with_values: bool = True) -> str:
    """The '- In `file:line`: value' lines of a message."""
    lines = []
    for definition in defs:
        if with_values:
            lines.append(f"- In `{definition.site}`: {show_value(definition.value)}")
        else:
            lines.append(f"- In `{definition.site}`")
    return "\n".join(lines)


def declared_at(declarations: list[Site]) -> str:
    if not declarations:
        return ""
    return "\nDeclared in " + ", ".join(f"`{site}`" for site in declarations) + "."


def discharge(
    definition: Definition, path: tuple[str, ...]
) -> list[tuple[Definition, int, int]]:
    """Unwrap properties: (definition without wrappers, override priority, order priority)."""
    out: list[tuple[Definition, int, int]] = []
    _discharge(definition, definition.value, definition.keys, None, None, path, out)
    return out


def _discharge(definition: Definition, value: Any, keys: tuple[str, ...],
               priority: int | None, order: int | None,
               path: tuple[str, ...], out: list[tuple[Definition, int, int]]) -> None:
    kind = type(value)
    if kind is If:
        if type(value.condition) is not bool:
            raise InvalidDefinitionError(
                f"`mk_if` called with a non-Boolean condition for option `{show_path(path)}`"
                f" in `{definition.source.locate(keys)}`: {show_value(value.condition)}.\n"
                "Pass a real bool, e.g. `mk_if(bool(x), ...)` or `mk_if(x is not None, ...)`."
            )
        if value.condition:
            _discharge(definition, value.content, keys, priority, order, path, out)
    elif kind is Merge:
        for position, content in enumerate(value.contents):
            _discharge(definition, content, (*keys, merge_part(position)), priority, order,
                       path, out)
    elif kind is Override:
        _discharge(definition, value.content, keys,
                   value.priority if priority is None else priority, order, path, out)
    elif kind is Order:
        _discharge(definition, value.content, keys, priority,
                   value.priority if order is None else order, path, out)
    else:
        out.append((
            definition if value is definition.value else definition.with_value(value, keys),
            PLAIN_PRIORITY if priority is None else priority,
            PLAIN_ORDER if order is None else order,
        ))


def highest_priority_definitions(
    path: tuple[str, ...], defs: list[Definition]
) -> tuple[list[Definition], int | None]:
    """The definitions that survive `mk_if` and priority filtering, sorted by order."""
    if len(defs) == 1 and not isinstance(defs[0].value, Property):
        return defs, PLAIN_PRIORITY
    items = [item for definition in defs for item in discharge(definition, path)]
    if not items:
        return [], None
    best = min(priority for _, priority, _ in items)
    kept = [(definition, order) for definition, priority, order in items if priority == best]
    if any(order != PLAIN_ORDER for _, order in kept):
        kept.sort(key=lambda item: item[1])
    return [definition for definition, _ in kept], best


def merge_definitions(path: tuple[str, ...], type_: Type, defs: list[Definition]) -> Any:
    """The merged value of `defs` for a place of type `type_`, or NO_VALUE."""
    final, _ = highest_priority_definitions(path, defs)
    if not final:
        return NO_VALUE
    check = type_.check
    invalid = [definition for definition in final if not check(definition.value)]
    if invalid:
        raise type_mismatch(path, type_, invalid)
    return type_.merge(path, final)


def type_mismatch(
    path: tuple[str, ...], type_: Type, invalid: list[Definition],
    declarations: list[Site] | None = None,
) -> OptionTypeError:
    reason = type_.explain(invalid[0].value)
    return OptionTypeError(
        f"A definition for option `{show_path(path)}` is not of type `{type_.description}`."
        f" Definition values:\n{show_definitions(invalid)}"
        + (f"\n({reason})" if reason else "")
        + declared_at(declarations or [])
        + f"\nChange the value to one of type `{type_.description}`."
    )


def key_mismatch(path: tuple[str, ...], key_type: Type, key: str,
                 entry: Definition) -> OptionTypeError:
    """A key of a `dict[K, X]` option that is not of type K, at the line of that key."""
    reason = key_type.explain(key)
    return OptionTypeError(
        f"A definition for option `{show_path(path)}` has a key that is not of type "
        f"`{key_type.description}`:\n- In `{entry.site}`: {show_value(key)}"
        + (f"\n({reason})" if reason else "")
        + f"\nChange the key to one of type `{key_type.description}`."
    )


def merge_equal(path: tuple[str, ...], defs: list[Definition]) -> Any:
    """Scalars: every definition must have the same value."""
    first = defs[0].value
    for definition in defs[1:]:
        if definition.value != first or type(definition.value) is not type(first):
            raise ConflictingDefinitionsError(
                f"The option `{show_path(path)}` has conflicting definition values:\n"
                f"{show_definitions(defs)}\n"
                "Use `mk_force(value)` or `mk_default(value)` to change the priority on any of "
                "these definitions."
            )
    return first


def merge_unique(path: tuple[str, ...], defs: list[Definition], message: str = "") -> Any:
    """Exactly one definition (after priority filtering)."""
    if len(defs) == 1:
        return defs[0].value
    extra = f"\n{message}" if message else ""
    raise UniqueOptionError(
        f"The option `{show_path(path)}` is defined multiple times while it's expected to be "
        f"unique.{extra}\nDefinition values:\n{show_definitions(defs)}\n"
        "Keep one definition, or use `mk_force(value)` or `mk_default(value)` to change the "
        "priority on any of these definitions."
    )
