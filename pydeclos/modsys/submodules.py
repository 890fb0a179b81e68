"""The submodule type: its values are nested evaluations of its modules plus the definitions.

This is the engine's one genuine recursion (NixOS' `submoduleWith` calls `evalModules`):
the type runs an `Evaluator`, whose options may again be of this type. It is contained
here: this module imports the evaluator, and nothing below it imports this module.

A `t.submodule` type prepares its own modules and option tree once; each value (each
entry of a `dict[str, submodule]`) is then an `Evaluator` run over those modules and the
definitions of that entry, with `name` = the last element of its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydeclos.modsys.definitions import Definition
from pydeclos.modsys.errors import DeclarationError
from pydeclos.modsys.fixpoint import Evaluator, Unit, build_tree, unit_of
from pydeclos.modsys.locations import Site, SourceCache
from pydeclos.modsys.modules import LoadedModule, Loader, Module, collect_modules
from pydeclos.modsys.options import Option, OptionSet
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.type_base import Type
from pydeclos.modsys.values import AttrsValue


class Submodule(Type):
    """A nested evaluation: definitions are modules (dicts of option values, Module objects
    or config functions); `name` is the last element of the option path."""

    def __init__(self, modules: list[Any], freeform: Type | None = None) -> None:
        self.modules = modules
        self.freeform = freeform
        self.description = "submodule"
        self.has_submodule = True
        self._prepared: PreparedSubmodule | None = None

    def check(self, value: Any) -> bool:
        return type(value) is dict or isinstance(value, Mapping | Module) or callable(value)

    def prepared(self) -> PreparedSubmodule:
        """The loaded declaring modules and their option tree (built once per type)."""
        if self._prepared is None:
            self._prepared = prepare_submodule(self.modules, self.freeform)
        return self._prepared

    def empty_value(self, path: tuple[str, ...]) -> Any:
        return self.merge(path, [])  # the sub-options' own defaults

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        prepared = self._prepared
        if prepared is None:
            try:
                prepared = self.prepared()
            except DeclarationError as error:
                raise _under(error, path) from None
        return prepared.evaluate(path, defs)

    def sub_options(self) -> tuple[Any, str] | None:
        return (self.prepared().tree, "")

    def with_options(self, options: Any, site: Any) -> Type | None:
        return Submodule([*self.modules, options], self.freeform)

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, Submodule):
            return Submodule([*self.modules, *other.modules], self.freeform or other.freeform)
        return None


def _under(error: DeclarationError, prefix: tuple[str, ...]) -> DeclarationError:
    """A declaration error inside a submodule, naming the full option path."""
    relative = error.relative_path
    if relative is not None:
        inner, full = f"`{show_path(relative)}`", f"`{show_path((*prefix, *relative))}`"
        error.args = (str(error).replace(inner, full, 1),)
        error.relative_path = (*prefix, *relative)
    return error


@dataclass
class PreparedSubmodule:
    """A submodule type's declaring modules (with their imports) and option tree."""

    modules: list[LoadedModule]
    tree: OptionSet
    units: list[Unit]
    freeform: Type | None

    def evaluate(self, path: tuple[str, ...], defs: list[Definition]) -> AttrsValue:
        """A value of the submodule: a nested evaluation of its modules and `defs`.

        A definition is usually a dict of option values; a `Module` definition is a whole
        module (with its imports), which may also declare options of this value."""
        return _evaluate(self, path, defs)


def prepare_submodule(modules: Sequence[Any], freeform: Type | None) -> PreparedSubmodule:
    """Load a submodule type's modules (dicts of options, Module objects, files)."""
    sources = SourceCache()
    if all(isinstance(entry, Mapping) for entry in modules):
        loaded = [_options_only(entry) for entry in modules]  # the common case
    else:
        roots = [_options_module(e) if isinstance(e, Mapping) else e for e in modules]
        loaded = collect_modules(Loader(sources), roots)
    tree = build_tree(loaded)
    units = [unit_of(module, sources) for module in loaded if module.config is not None
             or module.hook is not None]
    return PreparedSubmodule(loaded, tree, units, freeform)


def _first_site(options: Mapping[str, Any]) -> Site | None:
    first = next((value for value in options.values() if isinstance(value, Option)), None)
    return first.site if first is not None else None


def _options_only(options: Mapping[str, Any]) -> LoadedModule:
    return LoadedModule(key=None, label="submodule options", base_dir="", options=options,
                        site=_first_site(options) or Site("<submodule>", 0))


def _options_module(options: Mapping[str, Any]) -> Module:
    """The module of a `t.submodule({...})` options dict, located at its first option."""
    module = Module(options=options, name="submodule options")
    module.site = _first_site(options) or module.site
    return module


def _evaluate(prepared: PreparedSubmodule, path: tuple[str, ...],
              defs: list[Definition]) -> AttrsValue:
    tree = prepared.tree
    units = list(prepared.units)
    extra: list[LoadedModule] = []
    for definition in defs:
        value = definition.value
        if isinstance(value, Module):
            sources = SourceCache()
            modules = collect_modules(Loader(sources), [value])
            extra.extend(modules)
            units.extend(unit_of(module, sources) for module in modules
                         if module.config is not None or module.hook is not None)
        else:
            units.append(Unit(value, definition.source, definition.keys,
                              str(definition.site) if not isinstance(value, Mapping)
                              else "definition", None))
    if any(module.options for module in extra):
        tree = build_tree([*prepared.modules, *extra])
    evaluator = Evaluator(units, tree, prefix=path, name=path[-1] if path else None,
                          freeform=prepared.freeform)
    evaluator.run()
    return evaluator.values()
