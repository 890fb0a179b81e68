"""The evaluator (`Evaluator`): a fixpoint over the modules' config functions.

Static configs (dicts) are collected once. Config functions run in module order, reading
`cfg` freely; every read is recorded (module → option), and every definition too (module →
option). When a module's definitions change, the options they touch are recomputed (and the
options whose value was computed from them) and the modules that read a changed value run
again — in the same pass if they come later in the pass's order, in the next pass otherwise
(the first pass follows the module order, later ones run writers before their readers). It
stops when nothing changes. An exception from a module whose inputs may still change is
kept, and reported only if it is still there at the fixpoint. Without a cycle, pass k
settles every module whose inputs come through at most k backward edges, so a configuration
still changing after more passes than there are config functions (and at least MIN_PASSES)
never settles: a cycle, reported along the read/define edges that keep it going.

Submodule values are nested evaluations of the same kind (see submodules.py).
"""

from __future__ import annotations

import heapq
from bisect import insort
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydeclos.errors import PydeclosError
from pydeclos.modsys.collect import Collected, collect
from pydeclos.modsys.definitions import NO_VALUE, Definition, merge_definitions
from pydeclos.modsys.diagnostics import cycle_error, returned_none, unknown_error
from pydeclos.modsys.errors import (
    ConfigFunctionError,
    CycleError,
    MissingValueError,
    UnknownOptionError,
    UnknownOptionReadError,
)
from pydeclos.modsys.locations import Locatable, Site, Source, SourceCache
from pydeclos.modsys.modules import Label, LoadedModule, Module, user_frame_site
from pydeclos.modsys.option_value import evaluate_option
from pydeclos.modsys.options import DeclaredOption, OptionSet
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.properties import Property
from pydeclos.modsys.type_base import Type
from pydeclos.modsys.values import AttrsValue, Failed, FrozenDict, to_plain
from pydeclos.modsys.view import ConfigView, unknown_read

MIN_PASSES = 100
_MISSING: Any = object()
_NOTHING: Any = MappingProxyType({})  # an empty, read-only stand-in
_FREEFORM = ("<freeform>",)  # what reading an undeclared (freeform) name depends on


def _only_hidden(node: OptionSet) -> bool:
    return any(True for _ in node.options()) and all(o.hidden for o in node.options())


@dataclass
class Unit:
    """One module as the evaluator sees it: what it configures and where that was written."""

    config: Any
    source: Locatable
    base_keys: tuple[str, ...]
    label: str | Label
    module: LoadedModule | None = None


class Evaluator:
    """One evaluation (the whole configuration, or one submodule value)."""

    def __init__(
        self, units: list[Unit], tree: OptionSet, *, prefix: tuple[str, ...] = (),
        name: str | None = None, freeform: Type | None = None,
    ) -> None:
        self.units = units
        self.tree = tree
        self.prefix = prefix
        self.name = name
        self.freeform = freeform
        self.static: dict[tuple[str, ...], list[Definition]] = {}
        self.unknown: dict[int, list[tuple[tuple[str, ...], Definition]]] = {}
        self.errors: dict[int, BaseException] = {}
        self.cache: dict[tuple[str, ...], Any] = {}
        # The bookkeeping of config functions: created by `fixpoint` when there are any
        # (most submodule values have none, and there are many of those).
        self.dynamic: dict[int, dict[tuple[str, ...], list[Definition]]] = _NOTHING
        self.definers: dict[tuple[str, ...], list[int]] = _NOTHING
        self.readers: dict[tuple[str, ...], dict[int, None]] = _NOTHING
        self.def_readers: dict[tuple[str, ...], dict[int, None]] = _NOTHING
        self.reads: dict[int, dict[tuple[str, ...], None]] = _NOTHING
        self.def_reads: dict[int, dict[tuple[str, ...], None]] = _NOTHING
        self.current: int | None = None
        self.computing: list[tuple[str, ...]] = []  # options whose value is being computed
        self.value_deps: dict[tuple[str, ...], dict[tuple[str, ...], None]] = {}
        self.view: ConfigView | None = None  # only while running: no cycle left behind

    # -- definitions ---------------------------------------------------------------------

    def collect_static(self) -> list[int]:
        """Collect every static config; return the units that are functions."""
        functions = []
        static = Collected()
        for index, unit in enumerate(self.units):
            if unit.module is not None and unit.module.hook is not None:
                functions.append(index)
                continue
            config = unit.config
            if config is None:
                continue
            if isinstance(config, Mapping | Property):
                collect(config, self.tree, unit.source, index, unit.base_keys, static)
            else:
                functions.append(index)
        self.static = static.defs
        if static.unknown:
            self.unknown[-1] = static.unknown
        return functions

    def defs_for(self, path: tuple[str, ...]) -> list[Definition]:
        static = self.static.get(path)
        modules = self.definers.get(path)
        if not modules:
            return static or []
        if len(modules) == 1:
            dynamic = self.dynamic[modules[0]][path]
        else:
            dynamic = [d for index in modules for d in self.dynamic[index][path]]
        if not static:
            return dynamic
        return sorted([*static, *dynamic], key=lambda d: d.module)

    def raw_defs(self, path: tuple[str, ...]) -> list[Definition]:
        """The definitions of `path` themselves (for rename helpers): a recorded read."""
        current = self.current
        if current is not None:
            self.def_readers.setdefault(path, {})[current] = None
            self.def_reads.setdefault(current, {})[path] = None
        return self.defs_for(path)

    # -- values --------------------------------------------------------------------------

    def compute(self, path: tuple[str, ...], decl: Any = None) -> Any:
        """The value of one option (a `Failed` if it fails). Options read meanwhile (an
        alias's target, the outer configuration read by a submodule's function) are
        recorded, so that a change to them invalidates this value too."""
        if decl is None:
            decl = self.tree.lookup(path)
        self.computing.append(path)
        try:
            if decl.alias_of is not None:
                return self.read_alias(decl)
            return evaluate_option(decl, self.defs_for(path), self.prefix + path if self.prefix else path)
        except PydeclosError as error:
            return Failed(error)
        finally:
            self.computing.pop()

    def read(self, path: tuple[str, ...]) -> Any:
        if self.computing:
            dependents = self.value_deps.get(path)
            if dependents is None:
                self.value_deps[path] = {self.computing[-1]: None}
            else:
                dependents[self.computing[-1]] = None
        current = self.current
        if current is not None:
            readers = self.readers.get(path)
            if readers is None:
                self.readers[path] = {current: None}
            else:
                readers[current] = None
            self.reads[current][path] = None
        value = self.cache.get(path, _MISSING)
        if value is _MISSING:
            if path in self.computing:
                chain = " → ".join(show_path((*self.prefix, *p)) for p in
                                   self.computing[self.computing.index(path):])
                raise CycleError(
                    f"The option `{show_path((*self.prefix, *path))}` needs its own value to "
                    f"be computed: {chain} → {show_path((*self.prefix, *path))}.\n"
                    "A definition of it (or of an option it is computed from) reads it; "
                    "compute that part from other options."
                )
            value = self.cache[path] = self.compute(path)
        if type(value) is Failed:
            raise value.error
        return value

    def read_alias(self, decl: DeclaredOption) -> Any:
        """The value of a renamed (or aliased) option: its target's, which may lie inside
        the value of a dict option (`services.foos.legacy.bar`)."""
        target_path = decl.alias_of or ()
        old, new = show_path((*self.prefix, *decl.path)), show_path((*self.prefix, *target_path))
        target = self.tree.find_option(target_path)
        if target is None:
            raise UnknownOptionError(
                f"The option `{old}` is an alias of `{new}` (declared in `{decl.sites[0]}`), "
                f"but `{new}` does not exist.\nFix the target of the rename."
            )
        declared, inside = target
        value = self.read(declared.path)
        for position, name in enumerate(inside):
            if not isinstance(value, Mapping) or name not in value:
                where = show_path((*self.prefix, *declared.path, *inside[:position]))
                raise MissingValueError(
                    f"The option `{old}` is an alias of `{new}`, which has no value: "
                    f"`{where}` has no `{show_path((name,))}`.\nDefine `{new}` (or `{old}`)."
                )
            value = value[name]
        return value

    def read_missing(self, node: OptionSet, name: str) -> Any:
        """A name that is not declared: a freeform value, or an unknown option."""
        free = self.read_freeform(node)
        if free is not None and name in free:
            return free[name]
        raise unknown_read(self.prefix, node, name, self.tree.names(self.prefix))

    def read_freeform(self, node: OptionSet) -> Mapping[str, Any] | None:
        """The freeform values under `node`, recorded as read (for the fixpoint)."""
        if self.freeform is None:
            return None
        current = self.current
        if current is not None:
            self.readers.setdefault(_FREEFORM, {})[current] = None
            self.reads[current][_FREEFORM] = None
        return self.freeform_part(node.path)

    # -- the fixpoint --------------------------------------------------------------------

    def run(self) -> None:
        self.view = ConfigView(self, self.tree)
        try:
            self.fixpoint()
        finally:
            self.view = None

    def fixpoint(self) -> None:
        functions = self.collect_static()
        if functions:
            self.dynamic, self.definers, self.readers, self.def_readers = {}, {}, {}, {}
            self.reads, self.def_reads = {}, {}
        pending = functions
        passes = 0
        limit = max(MIN_PASSES, len(functions) + 1)
        recent: dict[int, None] = {}
        churning: dict[tuple[str, ...], None] = {}  # options changed in the last passes
        rank = {index: index for index in functions}  # the first pass: module order
        while pending:
            passes += 1
            if passes > limit - 2:
                recent.update(dict.fromkeys(pending))
            if passes > limit:
                raise cycle_error(self, sorted(recent), passes - 1, list(churning))
            heap = [(rank[index], index) for index in pending]
            heapq.heapify(heap)
            queued = set(pending)
            later: dict[int, None] = {}
            while heap:
                position, index = heapq.heappop(heap)
                queued.discard(index)
                changed = self.run_unit(index)
                if passes > limit - 2:
                    recent[index] = None
                    churning.update(dict.fromkeys(changed))
                for path in changed:
                    for reader in self.stale_readers(path):
                        if rank[reader] > position:
                            if reader not in queued:
                                queued.add(reader)
                                heapq.heappush(heap, (rank[reader], reader))
                        else:
                            later[reader] = None
            pending = sorted(later)
            if pending:
                rank = self.rank_writers_first(functions)
        self.raise_deferred()

    def rank_writers_first(self, functions: list[int]) -> dict[int, int]:
        """An order of the config functions in which, as far as the reads and definitions
        recorded so far tell, a module runs after the modules whose definitions it reads
        (ties and cycles by module order). Passes after the first use it, so a chain that
        runs against the module order settles in one more pass instead of one per link."""
        successors: dict[int, list[int]] = {index: [] for index in functions}
        waiting = dict.fromkeys(functions, 0)
        for table in (self.readers, self.def_readers):
            for path, readers in table.items():
                for writer in self.definers.get(path, ()):
                    for reader in readers:
                        if reader != writer:
                            successors[writer].append(reader)
                            waiting[reader] += 1
        ready = [index for index in functions if not waiting[index]]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            index = heapq.heappop(ready)
            order.append(index)
            for reader in successors[index]:
                waiting[reader] -= 1
                if not waiting[reader]:
                    heapq.heappush(ready, reader)
        order += [index for index in functions if waiting[index]]  # in or after a cycle
        return {index: position for position, index in enumerate(order)}

    def run_unit(self, index: int) -> list[tuple[str, ...]]:
        """Run one config function; return the option paths whose definitions changed."""
        unit = self.units[index]
        for table, readers in ((self.reads, self.readers), (self.def_reads, self.def_readers)):
            old = table.get(index)
            if old:
                for path in old:
                    readers[path].pop(index, None)
        self.reads[index] = {}
        self.def_reads[index] = {}
        self.current = index
        try:
            module = unit.module
            if module is not None and module.hook is not None:
                collected = module.hook(self, index)
            else:
                result = self.call(unit)
                collected = collect(result, self.tree, unit.source, index, unit.base_keys)
            self.errors.pop(index, None)
        except Exception as error:  # deferred: reported only if it survives the fixpoint
            collected = Collected()
            self.errors[index] = error
        finally:
            self.current = None
        return self.replace_definitions(index, collected)

    def replace_definitions(self, index: int, collected: Collected) -> list[tuple[str, ...]]:
        """Put what a config function defined in place of its previous run's definitions;
        return the option paths whose definitions changed."""
        old_unknown = self.unknown.get(index, [])
        if collected.unknown:
            self.unknown[index] = collected.unknown
        else:
            self.unknown.pop(index, None)
        old_defs = self.dynamic.get(index, {})
        new_defs = collected.defs
        changed = [path for path, defs in new_defs.items() if old_defs.get(path) != defs]
        if old_unknown != collected.unknown and self.freeform is not None:
            changed.append(_FREEFORM)
        for path in old_defs:
            if path not in new_defs:
                changed.append(path)
                self.definers[path].remove(index)
        for path in new_defs:
            if path not in old_defs:
                insort(self.definers.setdefault(path, []), index)
        self.dynamic[index] = new_defs
        return changed

    def call(self, unit: Unit) -> Any:
        module = unit.module
        if module is None:
            if isinstance(unit.config, Module):
                raise AssertionError("Module definitions are expanded before evaluation")
            module = unit.module = LoadedModule(
                key=None, label=unit.label, site=Site("<definition>", 0), base_dir="",
                config=unit.config)
        result = module.call_config(self.view, self.name)
        if result is None:  # a forgotten `return` would silently drop the whole module
            raise returned_none(module)
        return result

    def stale_readers(self, path: tuple[str, ...]) -> list[int]:
        """The modules to run again because the value of `path` may have changed (directly,
        or through options whose value was computed from it)."""
        if path is _FREEFORM:
            return list(self.readers.get(path, ()))
        old = self.cache.pop(path, _MISSING)
        stale = list(self.def_readers.get(path, ()))
        readers = self.readers.get(path)
        dependents = self.value_deps.pop(path, None)
        if not readers and not dependents:
            return stale
        new = self.cache.get(path, _MISSING)
        if new is _MISSING:
            new = self.cache[path] = self.compute(path)
        if old is not _MISSING and new == old and type(new) is type(old):
            if dependents:  # still valid: keep them attached
                self.value_deps.setdefault(path, {}).update(dependents)
            return stale
        stale.extend(readers or ())
        for dependent in dependents or ():
            stale.extend(self.stale_readers(dependent))
        return stale

    # -- after the fixpoint --------------------------------------------------------------

    def raise_deferred(self) -> None:
        for index in sorted(self.errors):
            error = self.errors[index]
            unit = self.units[index]
            files = {unit.source.file} if isinstance(unit.source, Source) else None
            site = user_frame_site(error, files) or user_frame_site(error)
            if isinstance(error, PydeclosError):
                if site is not None and isinstance(error, UnknownOptionReadError
                                                   | MissingValueError):
                    body, _, hint = str(error).rpartition("\n")
                    error.args = (f"{body}\nRead in `{site}` (module `{unit.label}`).\n{hint}",)
                raise error
            where = f" at `{site}`" if site else ""
            raise ConfigFunctionError(
                f"The config function of `{unit.label}` raised {type(error).__name__}"
                f"{where}: {error}\nFix the error in that function (run with --debug for the "
                "traceback)."
            ) from error
        unknown = [item for index in sorted(self.unknown) for item in self.unknown[index]]
        if unknown and self.freeform is None:
            raise unknown_error(self, unknown)

    def freeform_value(self) -> Any:
        """The merged freeform part: every definition that names no declared option."""
        unknown = [item for index in sorted(self.unknown) for item in self.unknown[index]]
        if not unknown or self.freeform is None:
            return FrozenDict()
        defs = []
        for path, definition in unknown:
            nested: Any = definition.value
            for name in reversed(path):
                nested = {name: nested}
            defs.append(definition.with_value(nested))
        merged = merge_definitions(self.prefix, self.freeform, defs)
        return FrozenDict() if merged is NO_VALUE else merged

    def plain(self, node: OptionSet | None = None, free: Any = _MISSING) -> dict[str, Any]:
        """Every value below `node` as plain JSON data with sorted keys (raises failures)."""
        node = node or self.tree
        if free is _MISSING:
            free = self.freeform_part(node.path)
        out: dict[str, Any] = {}
        children = node.children
        for name in sorted(children):
            child = children[name]
            if isinstance(child, OptionSet):
                inner = self.plain(child, free.get(name) if free else None)
                if inner or not _only_hidden(child):
                    out[name] = inner
                continue
            if child.hidden:
                continue
            value = self.cache.get(child.path, _MISSING)
            if value is _MISSING:
                value = self.cache[child.path] = self.compute(child.path, child)
            if type(value) is Failed:
                raise value.error
            out[name] = to_plain(value)
        if free:
            extra = {key: item for key, item in free.items() if key not in children}
            out = dict(sorted({**to_plain(extra), **out}.items()))
        return out

    def values(self, node: OptionSet | None = None, free: Any = _MISSING) -> AttrsValue:
        """Every option's value below `node` (failed ones raise when read), with the
        freeform values laid under the declared ones (recursively, as NixOS does)."""
        node = node or self.tree
        if free is _MISSING:
            free = self.freeform_part(node.path)
        out: dict[str, Any] = {}
        hidden = []
        for name, child in node.children.items():
            if isinstance(child, OptionSet):
                inner = out[name] = self.values(child, free.get(name) if free else None)
                if inner._hidden and len(inner._hidden) == len(inner):
                    hidden.append(name)  # only rename helpers inside
                continue
            if child.hidden:
                hidden.append(name)
            value = self.cache.get(child.path, _MISSING)
            if value is _MISSING:
                value = self.cache[child.path] = self.compute(child.path, child)
            out[name] = value
        if free:
            out = {**{k: v for k, v in free.items() if k not in node.children}, **out}
        return AttrsValue(out, frozenset(hidden))

    def freeform_part(self, path: tuple[str, ...]) -> Mapping[str, Any] | None:
        """The freeform values under the option set at `path` (None without any)."""
        if self.freeform is None:
            return None
        free: Any = self.freeform_value()
        for name in path:
            free = free.get(name) if isinstance(free, Mapping) else None
        return free if isinstance(free, Mapping) and free else None


# -- building evaluators ------------------------------------------------------------------


def build_tree(modules: list[LoadedModule]) -> OptionSet:
    tree = OptionSet(())
    for module in modules:
        if module.options:
            tree.declare(module.options, module.site)
    return tree


def unit_of(module: LoadedModule, sources: SourceCache) -> Unit:
    config = module.config
    if callable(config) and hasattr(config, "__code__"):
        code = config.__code__
        source = Source(code.co_filename, code.co_firstlineno, sources)
    else:
        source = Source(module.site.file, module.site.line, sources, module.assigned)
    return Unit(config, source, (), module.label, module)
