"""The failed-assertions report: each false entry of `assertions`, where it was written,
and, for the options it names (`"options": ["a.b", ...]`), where each of them was defined.

An assertion relates several options, so no single type can check it; naming the options
lets the error point at the lines the user wrote, as a type error does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydeclos.modsys.definitions import Definition, discharge
from pydeclos.modsys.errors import AssertionsFailedError
from pydeclos.modsys.options import DeclaredOption, OptionSet
from pydeclos.modsys.paths import show_path, split_path
from pydeclos.modsys.properties import Property
from pydeclos.modsys.suggest import did_you_mean
from pydeclos.modsys.values import show_value


class DefinitionSource(Protocol):
    """What the report needs of an evaluation: its option tree and raw definitions."""

    tree: OptionSet

    def defs_for(self, path: tuple[str, ...]) -> list[Definition]: ...


def assertions_error(failed: list[Any], source: DefinitionSource) -> AssertionsFailedError:
    """The error listing every false entry (`failed`: the merged entries)."""
    sites = _assertion_sites(source)
    lines = []
    for entry in failed:
        site = sites.get(entry.message)
        lines.append(f"- {entry.message}" + (f" (in `{site}`)" if site else ""))
        for path in entry.options:
            lines.append("  " + _where_defined(path, source))
    return AssertionsFailedError(
        "Failed assertions:\n" + "\n".join(lines)
        + "\nChange the configuration so that these conditions hold (each entry of the "
        "option `assertions` names what to change)."
    )


def _assertion_sites(source: DefinitionSource) -> dict[str, str]:
    """Where each assertion message was defined (through `mk_if`, `mk_merge`, ...)."""
    sites: dict[str, str] = {}
    for written in source.defs_for(("assertions",)):
        for definition, _, _ in discharge(written, ("assertions",)):
            if not isinstance(definition.value, list | tuple):
                continue
            for item in definition.value:  # entries may be wrapped: `mk_if(c, {...})`
                for entry, _, _ in discharge(definition.with_value(item), ("assertions",)):
                    message = entry.value.get("message") \
                        if isinstance(entry.value, Mapping) else None
                    if isinstance(message, str):
                        sites.setdefault(message, str(definition.site))
    return sites


def where_defined(text: str, source: DefinitionSource) -> str:
    """Where the option (or the place in a dict option) `text` was defined, for errors
    found after evaluation: '`a.b` is defined in `system.py:3` (1)', or why it is not."""
    return _where_defined(text, source)


def _where_defined(text: str, source: DefinitionSource) -> str:
    """'`a.b` is defined in `system.py:3` (1), `lib.py:9` (2)', or why it is not."""
    path = tuple(split_path(text))
    found = source.tree.find_option(path)
    if found is None:
        hint = did_you_mean(text, source.tree.names())
        return (f"`{text}`: no such option (the assertion names it in its `options`; "
                f"fix that list).{hint}")
    decl, inside = found
    shown = f"`{show_path(path)}`"
    defs = _definitions_inside(source.defs_for(decl.path), decl.path, inside)
    if defs:
        places = ", ".join(f"`{d.site}` ({show_value(d.value, 60)})" for d in defs)
        return f"{shown} is defined in {places}"
    return f"{shown} is not defined{_default_note(decl, inside)}"


def _default_note(decl: DeclaredOption, inside: tuple[str, ...]) -> str:
    if not inside and decl.has_default and decl.sites:
        return f"; its default is declared in `{decl.sites[0]}`"
    return ""


def _definitions_inside(defs: list[Definition], path: tuple[str, ...],
                        inside: tuple[str, ...]) -> list[Definition]:
    """The definitions (properties unwrapped, false `mk_if`s dropped) of the place `inside`
    the value of the option at `path`: dict keys, dotted ones matched longest first."""
    current = [d for written in defs for d, _, _ in discharge(written, path)]
    rest = list(inside)
    while rest:
        found: list[Definition] = []
        used = 0
        for definition in current:
            value = definition.value
            if not isinstance(value, Mapping):
                continue
            for count in range(len(rest), 0, -1):
                key = ".".join(rest[:count])
                if key in value:
                    item = definition.with_value(value[key], (*definition.keys, key))
                    if isinstance(item.value, Property):
                        found.extend(d for d, _, _ in discharge(item, path))
                    else:
                        found.append(item)
                    used = max(used, count)
                    break
        current = found
        del rest[:max(used, 1)]
    return current
