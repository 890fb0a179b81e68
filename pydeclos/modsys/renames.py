"""Helpers for options that moved or went away: renamed, aliased, removed.

Each returns a module for `imports`. A renamed (or aliased) option forwards its definitions
to the new path *with their priority* and reads give the new option's value; a rename also
warns. A removed option fails an assertion when it is set, and fails when it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydeclos.modsys.collect import Collected
from pydeclos.modsys.definitions import Definition, FixedSource, highest_priority_definitions
from pydeclos.modsys.errors import UnknownOptionError
from pydeclos.modsys.locations import Site, caller_site
from pydeclos.modsys.modules import Module
from pydeclos.modsys.options import Option, option
from pydeclos.modsys.paths import show_path, split_path
from pydeclos.modsys.properties import Override

if TYPE_CHECKING:
    from pydeclos.modsys.fixpoint import Evaluator


def _path(dotted: str) -> tuple[str, ...]:
    if not isinstance(dotted, str) or not dotted:
        raise TypeError(f"expected a dotted option path, got {dotted!r}")
    return tuple(split_path(dotted))


def _nested(path: tuple[str, ...], leaf: Any) -> Any:
    """`leaf` under the keys of `path` (`leaf` itself for an empty path)."""
    for name in reversed(path):
        leaf = {name: leaf}
    return leaf


def _old_option_module(path: tuple[str, ...], spec: Option, site: Site, key: str, name: str,
                       hook: Callable[[Evaluator, int], Collected]) -> Module:
    """A module that declares the old option (`spec`, hidden) at `site`, and whose
    definitions `hook` gives from the old option's definitions."""
    spec.site = site
    module = Module(options=_nested(path, spec), key=key, name=name)
    module.site = site
    module.builtin_hook = hook
    return module


def _forwarding_module(old: str, new: str, warn: bool, site: Site) -> Module:
    old_path, new_path = _path(old), _path(new)
    spec = option(visible=False, description=f"Alias of `{new}`.")
    spec.alias_of = new_path

    def forward(evaluator: Evaluator, index: int) -> Collected:
        collected = Collected()
        final, priority = highest_priority_definitions(old_path, evaluator.raw_defs(old_path))
        if not final or priority is None:
            return collected
        target = evaluator.tree.find_option(new_path)
        if target is None:
            raise UnknownOptionError(
                f"The option `{old}` is {'renamed' if warn else 'an alias'} to `{new}` (in "
                f"`{site}`), but `{new}` does not exist.\nFix the target of the rename."
            )
        declared, inside = target  # a target inside a dict entry creates the entry
        for definition in final:
            collected.add(declared.path, Definition(
                _nested(inside, Override(priority, definition.value)), definition.source,
                definition.keys, index))
        if warn:
            sites = ", ".join(f"`{d.site}`" for d in final)
            collected.add(("warnings",), Definition(
                [f"The option `{old}` defined in {sites} has been renamed to `{new}`."],
                FixedSource(site), (), index))
        return collected

    return _old_option_module(old_path, spec, site, f"pydeclos:alias:{old}->{new}",
                              f"{'renamed' if warn else 'alias'} option {old} -> {new}", forward)


def mk_renamed_option(old: str, new: str) -> Module:
    """`old` now lives at `new`: definitions move there (with their priority), and warn."""
    return _forwarding_module(old, new, True, Site(*caller_site()))


def mk_alias_option(old: str, new: str) -> Module:
    """`old` is another name for `new`: definitions move there (with their priority)."""
    return _forwarding_module(old, new, False, Site(*caller_site()))


def mk_removed_option(old: str, instead: str) -> Module:
    """`old` no longer exists: setting it fails an assertion saying what to do `instead`."""
    site = Site(*caller_site())
    old_path = _path(old)
    spec = option(visible=False, description=f"Removed: {instead}")
    spec.removed = instead

    def check(evaluator: Evaluator, index: int) -> Collected:
        collected = Collected()
        final, _ = highest_priority_definitions(old_path, evaluator.raw_defs(old_path))
        if final:
            sites = ", ".join(f"`{d.site}`" for d in final)
            message = (f"The option definition `{show_path(old_path)}` in {sites} no longer has "
                       f"any effect; please remove it.\n{instead}")
            collected.add(("assertions",), Definition(
                [{"assertion": False, "message": message}], FixedSource(site), (), index))
        return collected

    return _old_option_module(old_path, spec, site, f"pydeclos:removed:{old}",
                              f"removed option {old}", check)
