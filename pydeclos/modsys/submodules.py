"""Submodule values: nested evaluations of the type's modules plus the definitions.

A `t.submodule` type prepares its own modules and option tree once; each value (each
entry of a `dict[str, submodule]`) is then an `Evaluator` run over those modules and the
definitions of that entry, with `name` = the last element of its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydeclos.modsys.definitions import Definition
from pydeclos.modsys.evaluate import Evaluator, Unit, build_tree, unit_of
from pydeclos.modsys.locations import Site, SourceCache
from pydeclos.modsys.modules import LoadedModule, Loader, Module, collect_modules
from pydeclos.modsys.options import OptionSet


@dataclass
class PreparedSubmodule:
    modules: list[LoadedModule]
    tree: OptionSet
    units: list[Unit]


def prepare_submodule(submodule: Any) -> PreparedSubmodule:
    """A submodule type's declaring modules (with their imports) and option tree."""
    from pydeclos.modsys.modules import Loader, collect_modules

    sources = SourceCache()
    if all(isinstance(entry, Mapping) for entry in submodule.modules):
        modules = [_options_only(entry) for entry in submodule.modules]  # the common case
    else:
        roots = [_options_module(e) if isinstance(e, Mapping) else e for e in submodule.modules]
        modules = collect_modules(Loader(sources), roots)
    tree = build_tree(modules)
    units = [unit_of(module, sources) for module in modules if module.config is not None
             or module.hook is not None]
    return PreparedSubmodule(modules, tree, units)


def _options_only(options: Mapping[str, Any]) -> LoadedModule:
    first = next((value for value in options.values() if hasattr(value, "site")), None)
    site = first.site if first is not None else Site("<submodule>", 0)
    return LoadedModule(key=None, label="submodule options", site=site, base_dir="",
                        options=options)


def _options_module(options: Mapping[str, Any]) -> Module:
    """The module of a `t.submodule({...})` options dict, located at its first option."""
    module = Module(options=options, name="submodule options")
    first = next((value for value in options.values() if hasattr(value, "site")), None)
    if first is not None:
        module.site = first.site
    return module


def evaluate_submodule(submodule: Any, path: tuple[str, ...], defs: list[Definition]) -> Any:
    """A submodule's value: a nested evaluation of its modules and the definitions.

    A definition is usually a dict of option values; a `Module` definition is a whole
    module (with its imports), which may also declare options of this value."""
    prepared = submodule.prepared()
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
                          freeform=submodule.freeform)
    evaluator.run()
    return evaluator.values()
