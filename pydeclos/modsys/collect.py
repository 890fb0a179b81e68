"""Turning what a module's config returns into definitions, one list per option.

A config is a dict of option values, possibly wrapped in properties. Walking it follows the
option tree: a dotted key is shorthand for nesting while it walks through option *sets*,
and splitting stops at the first declared option, so names inside a `dict[str, X]` option
stay verbatim. Wrappers met on the way (`mk_if`, `mk_override`, `mk_order`) are pushed down
onto each option inside, as NixOS does; `mk_if` conditions are checked (and an unknown
option under a false `mk_if` is still an unknown option).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.modsys.definitions import Definition
from pydeclos.modsys.errors import InvalidDefinitionError
from pydeclos.modsys.locations import Locatable, merge_part
from pydeclos.modsys.options import OptionSet
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.properties import If, Merge, Order, Override
from pydeclos.modsys.values import show_value


class Collected:
    """The definitions one module gives, by option path, and those naming no option."""

    __slots__ = ("defs", "unknown")

    def __init__(self) -> None:
        self.defs: dict[tuple[str, ...], list[Definition]] = {}
        self.unknown: list[tuple[tuple[str, ...], Definition]] = []

    def add(self, path: tuple[str, ...], definition: Definition) -> None:
        found = self.defs.get(path)
        if found is None:
            self.defs[path] = [definition]
        else:
            found.append(definition)


def _wrap(value: Any, priority: int | None, order: int | None, active: bool) -> Any:
    if order is not None:
        value = Order(order, value)
    if priority is not None:
        value = Override(priority, value)
    if not active:
        value = If(False, value)
    return value


def collect(
    config: Any,
    tree: OptionSet,
    source: Locatable,
    module: int,
    base_keys: tuple[str, ...] = (),
    into: Collected | None = None,
) -> Collected:
    """The definitions in `config` (the value a module's config is or returns)."""
    out = into if into is not None else Collected()
    _Walk(out, source, module).walk(config, tree, base_keys, None, None, True)
    return out


class _Walk:
    """One walk over a config value (a class, so no closure cycle is left for the GC)."""

    __slots__ = ("out", "source", "module")

    def __init__(self, out: Collected, source: Locatable, module: int) -> None:
        self.out = out
        self.source = source
        self.module = module

    def located(self, keys: tuple[str, ...]) -> str:
        return str(self.source.locate(keys))

    def walk(self, value: Any, node: OptionSet, keys: tuple[str, ...],
             priority: int | None, order: int | None, active: bool) -> None:
        kind = type(value)
        if kind is dict or isinstance(value, Mapping):
            self.walk_dict(value, node, keys, priority, order, active)
        elif kind is If:
            if type(value.condition) is not bool:
                raise InvalidDefinitionError(
                    f"`mk_if` called with a non-Boolean condition at "
                    f"`{show_path(node.path) or '(top level)'}` in `{self.located(keys)}`: "
                    f"{show_value(value.condition)}.\n"
                    "Pass a real bool, e.g. `mk_if(bool(x), ...)` or `mk_if(x is not None, ...)`."
                )
            self.walk(value.content, node, keys, priority, order, active and value.condition)
        elif kind is Merge:
            for position, content in enumerate(value.contents):
                self.walk(content, node, (*keys, merge_part(position)), priority, order, active)
        elif kind is Override:
            self.walk(value.content, node, keys, value.priority if priority is None else priority,
                      order, active)
        elif kind is Order:
            self.walk(value.content, node, keys, priority,
                      value.priority if order is None else order, active)
        else:
            raise self.not_a_dict(value, node, keys)

    def walk_dict(self, value: Mapping[Any, Any], node: OptionSet, keys: tuple[str, ...],
                  priority: int | None, order: int | None, active: bool) -> None:
        """The values of a dict for the option set `node`: options by name, or by a dotted
        path that walks through option sets."""
        children = node.children
        plain = priority is None and order is None and active
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidDefinitionError(
                    f"Option names must be strings, got {key!r} under "
                    f"`{show_path(node.path) or '(top level)'}` in `{self.located(keys)}`."
                )
            item_keys = (*keys, key)
            child = children.get(key)
            if child is None:
                self.walk_dotted(key, item, node, item_keys, priority, order, active)
            elif type(child) is OptionSet:
                self.walk(item, child, item_keys, priority, order, active)
            else:
                self.out.add(child.path, Definition(
                    item if plain else _wrap(item, priority, order, active), self.source,
                    item_keys, self.module))

    def walk_dotted(self, key: str, item: Any, node: OptionSet, keys: tuple[str, ...],
                    priority: int | None, order: int | None, active: bool) -> None:
        """`{"a.b.c": item}`: split while the parts name option sets; what is left after the
        first option is a key inside its value, and a part naming nothing is unknown."""
        parts = key.split(".")
        current = node
        for position, part in enumerate(parts):
            child = current.children.get(part)
            if child is None:
                nested: Any = item
                for name in reversed(parts[position + 1:]):
                    nested = {name: nested}
                self.out.unknown.append(((*current.path, part), Definition(
                    _wrap(nested, priority, order, active), self.source, keys, self.module)))
                return
            if type(child) is not OptionSet:
                rest = ".".join(parts[position + 1:])
                self.out.add(child.path, Definition(
                    _wrap({rest: item} if rest else item, priority, order, active),
                    self.source, keys, self.module))
                return
            current = child
        self.walk(item, current, keys, priority, order, active)

    def not_a_dict(self, value: Any, node: OptionSet,
                   keys: tuple[str, ...]) -> InvalidDefinitionError:
        where = show_path(node.path)
        return InvalidDefinitionError(
            f"`{where or 'The configuration'}` is a set of options, so its definition must "
            f"be a dict of option values, but `{self.located(keys)}` gives "
            f"{show_value(value)}.\n"
            + ("Did you mean to set one of its options: "
               + ", ".join(f"`{show_path((*node.path, n))}`" for n in list(node.children)[:5])
               + "?" if node.children else "Return a dict such as {\"option\": value}.")
        )
