"""`evaluate(root, prelude=...)`: the entry point, and what it returns.

An `Evaluation` holds the settled configuration. `to_data()` checks the assertions and
gives plain JSON data (what lowering consumes); `value(path)` gives one value without
checking assertions; `options` documents every declaration; `graph` shows which module
read and defined which option.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydeclos.modsys.assertions import assertions_error
from pydeclos.modsys.builtin import builtin_module
from pydeclos.modsys.compound_types import AttrsOf
from pydeclos.modsys.definitions import (
    NO_VALUE,
    Definition,
    highest_priority_definitions,
    merge_definitions,
)
from pydeclos.modsys.diagnostics import add_other_spellings
from pydeclos.modsys.docs import OptionInfo, option_infos
from pydeclos.modsys.errors import UnknownOptionError
from pydeclos.modsys.fixpoint import Evaluator, build_tree, unit_of
from pydeclos.modsys.locations import SourceCache
from pydeclos.modsys.modules import LoadedModule, Loader, Module, collect_modules
from pydeclos.modsys.options import DeclaredOption, OptionSet
from pydeclos.modsys.paths import show_path, split_path
from pydeclos.modsys.properties import OPTION_DEFAULT_PRIORITY, Override
from pydeclos.modsys.suggest import did_you_mean
from pydeclos.modsys.values import AttrsValue, to_plain

# An option path as written -> a sentence saying what it is called here, or None.
OtherSpellings = Callable[[str], str | None]


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Evaluation allocates many small, acyclic objects; the cyclic garbage collector would
    rescan them over and over (half the time at 10,000 modules), and finds nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # Move what survived to the oldest generation without scanning it: otherwise
            # the first young collection would walk every object created meanwhile.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


class Evaluation:
    """A settled configuration."""

    def __init__(self, evaluator: Evaluator, modules: list[LoadedModule], loader: Loader,
                 ran: bool, other_spellings: OtherSpellings | None = None) -> None:
        self.evaluator = evaluator
        self.modules = modules
        self.loader = loader
        self.other_spellings = other_spellings
        self._ran = ran
        self._graph: Any = None

    @contextmanager
    def _told(self) -> Iterator[None]:
        """An unknown option's error says what `other_spellings` knows about its name."""
        try:
            yield
        except UnknownOptionError as error:
            if self.other_spellings is not None:
                add_other_spellings(error, self.other_spellings)
            raise

    def _settled(self) -> Evaluator:
        if not self._ran:
            with self._told(), cyclic_gc_paused():
                self.evaluator.run()
            self._ran = True
        return self.evaluator

    @property
    def warnings(self) -> list[str]:
        with self._told():
            return list(self._settled().read(("warnings",)))

    def check_assertions(self) -> None:
        evaluator = self._settled()
        with self._told():
            failed = [entry for entry in evaluator.read(("assertions",)) if not entry.assertion]
        if not failed:
            return
        raise assertions_error(failed, evaluator)

    def to_data(self) -> dict[str, Any]:
        """The whole configuration as plain, key-sorted JSON data, after the assertions."""
        evaluator = self._settled()
        with self._told(), cyclic_gc_paused():
            self.check_assertions()
            data: dict[str, Any] = evaluator.plain()
        return data

    def value(self, path: str) -> Any:
        """One value by dotted path (paths into dict options allowed), as plain data."""
        with self._told():
            return self._value(path)

    def _value(self, path: str) -> Any:
        evaluator = self._settled()
        parts = split_path(path)
        node: OptionSet | DeclaredOption = evaluator.tree
        walked: list[str] = []
        while parts and isinstance(node, OptionSet):
            name = parts.pop(0)
            child = node.children.get(name)
            if child is None:
                wrong = show_path([*walked, name])
                names = node.names(tuple(walked))
                error = UnknownOptionError(
                    f"The option `{wrong}` does not exist.{did_you_mean(wrong, names)}\n"
                    "List the options with `pydeclos options`."
                )
                error.written = ((show_path(split_path(path)), None),)
                raise error
            walked.append(name)
            node = child
        if isinstance(node, OptionSet):
            return evaluator.plain(node)
        entry = _one_entry(node, parts, evaluator) if parts else None
        if entry is not None:  # merge only the entry asked for, not its siblings
            value, key, used = entry
            walked.append(key)
            del parts[:used]
        else:
            value = evaluator.read(node.path)
        return to_plain(_inside(value, parts, walked))

    @property
    def options(self) -> list[OptionInfo]:
        return option_infos(self.evaluator.tree)

    @property
    def graph(self) -> Any:
        if self._graph is None:
            from pydeclos.modsys.graph import dependency_graph

            self._graph = dependency_graph(self._settled(), self.loader)
        return self._graph


def _inside(value: Any, parts: list[str], walked: list[str]) -> Any:
    """The part of an option's `value` at `parts` (dict keys, dotted ones matched longest
    first, or list positions); `walked` is the path to `value`."""
    while parts:
        if isinstance(value, AttrsValue | dict):
            for count in range(len(parts), 0, -1):
                key = ".".join(parts[:count])
                if key in value:
                    value = value[key]
                    walked.append(key)
                    del parts[:count]
                    break
            else:
                wrong = show_path([*walked, parts[0]])
                names = [show_path([*walked, str(k)]) for k in value]
                error = UnknownOptionError(
                    f"`{wrong}` does not exist in the value of `{show_path(walked)}`."
                    f"{did_you_mean(wrong, names)}\n"
                    f"Look at the keys it has with `pydeclos eval --option {show_path(walked)}`."
                )
                error.written = ((show_path([*walked, *parts]), None),)
                raise error
        elif isinstance(value, list) and parts[0].isdigit() and int(parts[0]) < len(value):
            walked.append(parts[0])
            value = value[int(parts.pop(0))]
        else:
            raise UnknownOptionError(
                f"`{show_path(walked)}` is a {type(value).__name__}; it has no "
                f"`{parts[0]}` inside.\n"
                f"Ask for `{show_path(walked)}` itself, or for a path into a dict or a list."
            )
    return value


def _one_entry(decl: DeclaredOption, parts: list[str],
               evaluator: Evaluator) -> tuple[Any, str, int] | None:
    """The value of one key of a `dict[str, X]` option (dotted keys matched longest first),
    merged alone so that a broken sibling does not hide it; None to merge the whole option."""
    type_ = decl.type
    if not isinstance(type_, AttrsOf) or decl.alias_of or decl.apply or decl.read_only:
        return None
    raw = list(evaluator.defs_for(decl.path))
    if decl.has_default:
        raw.insert(0, Definition(Override(OPTION_DEFAULT_PRIORITY, decl.default), decl, (), -1))
    final, _ = highest_priority_definitions(decl.path, raw)
    if not final or not all(type_.check(d.value) for d in final):
        return None
    keys = {key for d in final for key in d.value}
    for count in range(len(parts), 0, -1):
        key = ".".join(parts[:count])
        if key in keys:
            break
    else:
        return None
    if type_.key_type is not None and not type_.key_type.check(key):
        return None  # merge the whole option, which reports the bad key
    entries = [d.with_value(d.value[key], (*d.keys, key)) for d in final if key in d.value]
    value = merge_definitions((*decl.path, key), type_.elem, entries)
    return None if value is NO_VALUE else (value, key, count)


def evaluate(
    root: str | os.PathLike[str] | Module | None,
    *,
    prelude: Sequence[Any] = (),
    modules_path: Path | None = None,
    run: bool = True,
    other_spellings: OtherSpellings | None = None,
) -> Evaluation:
    """Evaluate `root` (a module file or Module) after `prelude` (imported implicitly first).

    With `run=False` only the modules and declarations are loaded (for documentation);
    the fixpoint runs when a value is first asked for. `other_spellings` maps an unknown
    option path to a sentence naming the option meant (or None): names from another
    module system, say; the unknown-option errors add what it says.
    """
    sources = SourceCache()
    loader = Loader(sources, modules_path)
    roots: list[Any] = [builtin_module(), *prelude]
    if root is not None:
        roots.append(Path(root) if isinstance(root, str) else root)
    with cyclic_gc_paused():
        modules = collect_modules(loader, roots)
        tree = build_tree(modules)
        units = [unit_of(module, sources) for module in modules]
    evaluator = Evaluator(units, tree)
    evaluation = Evaluation(evaluator, modules, loader, ran=False,
                            other_spellings=other_spellings)
    if run:
        evaluation._settled()
    return evaluation
