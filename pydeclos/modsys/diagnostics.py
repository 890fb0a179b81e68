"""What went wrong in an evaluation, told in terms of the user's modules and options.

Unknown definitions (with "did you mean" or the hint that an option was placed in `config`),
config functions that return nothing, and configurations that never settle (the cycle of
modules, each with what it reads and defines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydeclos.modsys.definitions import Definition, show_definitions
from pydeclos.modsys.errors import (
    CycleError,
    InvalidDefinitionError,
    UnknownOptionError,
)
from pydeclos.modsys.modules import LoadedModule
from pydeclos.modsys.options import Option
from pydeclos.modsys.paths import show_path, split_path
from pydeclos.modsys.properties import Property
from pydeclos.modsys.suggest import did_you_mean
from pydeclos.modsys.values import show_value

if TYPE_CHECKING:  # the evaluator calls these functions with itself
    from pydeclos.modsys.fixpoint import Evaluator


def unknown_error(evaluator: Evaluator,
                  unknown: list[tuple[tuple[str, ...], Definition]]) -> Exception:
    """The error for definitions of options nobody declares (the first one, with its
    suggestions or hint, and the names of the others)."""
    path, _ = unknown[0]
    same = [d for p, d in unknown if p == path]
    full = show_path((*evaluator.prefix, *path))
    if any(_holds_declaration(d.value) for d in same):
        hint = ("It seems as if you're trying to declare an option by placing it into "
                "`config` rather than `options`!")
    else:
        hint = did_you_mean(full, evaluator.tree.names(evaluator.prefix))
    others = sorted({show_path((*evaluator.prefix, *p)) for p, _ in unknown if p != path})
    more = ("\nOther undeclared options: " + ", ".join(f"`{o}`" for o in others[:5])
            + (" …" if len(others) > 5 else "")) if others else ""
    error = UnknownOptionError(
        f"The option `{full}` does not exist. Definition values:\n"
        f"{show_definitions(same)}\n{hint.strip() or 'Check the spelling.'}{more}\n"
        "Fix the name, or import the module that declares this option."
    )
    error.written = tuple((show_path((*evaluator.prefix, *p)), d.value) for p, d in unknown)
    return error


def add_other_spellings(error: UnknownOptionError,
                        other_spellings: Callable[[str], str | None]) -> None:
    """Tell, before the error's last line (its hint), what each unknown path (or a path
    inside the value defined there) is called here, as `other_spellings` says."""
    said: dict[str, None] = {}
    for path, value in error.written:
        for candidate in _paths_within(path, value):
            sentence = other_spellings(candidate)
            if sentence:
                said[sentence] = None
    error.written = ()  # told once, however many callers pass the error on
    if not said or not error.args:
        return
    body, _, hint = str(error.args[0]).rpartition("\n")
    lines = "\n".join(said)
    error.args = (f"{body}\n{lines}\n{hint}" if body else f"{hint}\n{lines}",
                  *error.args[1:])


def _paths_within(path: str, value: Any) -> Iterator[str]:
    """`path`, then the paths of the dict keys nested in `value` (deepest last)."""
    yield path
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(key, str):
                yield from _paths_within(show_path((*split_path(path), key)), inner)


def returned_none(module: LoadedModule) -> InvalidDefinitionError:
    """The error for a config function that returned None (most often a forgotten
    `return`, which would silently drop everything the module meant to define)."""
    label, site = str(module.label), str(module.config_site)
    where = "" if site in label else f" (`{site}`)"
    return InvalidDefinitionError(
        f"The config function of `{label}`{where} returned None, so it would define "
        "nothing.\n"
        "Return a dict of option values (`return {...}`), or `return {}` when it has "
        "nothing to define."
    )


def cycle_error(evaluator: Evaluator, pending: list[int], passes: int,
                changing: list[tuple[str, ...]]) -> CycleError:
    """The error for a configuration that never settles: a cycle of modules found along
    the current define → read edges among those that kept running, then the options whose
    definitions kept changing (`changing`) with the modules and lines that define them."""
    import networkx

    graph = networkx.DiGraph()
    for writer in pending:
        for path in evaluator.dynamic.get(writer, {}):
            for reader in evaluator.readers.get(path, ()):
                if reader in pending:
                    graph.add_edge(writer, reader, path=path)
    try:
        edges = networkx.find_cycle(graph)
    except networkx.NetworkXNoCycle:
        edges = [(pending[0], pending[0])]
    steps = []
    for position, (writer, reader) in enumerate(edges):
        read = graph.edges[edges[position - 1]]["path"] if graph.has_edge(
            *edges[position - 1]) else None
        wrote = graph.edges[writer, reader]["path"] if graph.has_edge(writer, reader) else None
        unit = evaluator.units[writer]
        site = unit.module.config_site if unit.module else unit.source.locate(unit.base_keys)
        steps.append(
            f"module {unit.label} ({site})"
            + (f" reads {show_path((*evaluator.prefix, *read))}" if read else "")
            + (f" → defines {show_path((*evaluator.prefix, *wrote))}" if wrote else "")
        )
    return CycleError(
        f"The configuration never settles (still changing after {passes} passes):\n"
        + " → ".join(steps)
        + _changing_options(evaluator, changing)
        + "\nBreak the cycle: compute one of these values without reading the other, or "
        "fix it with mk_force(...)."
    )


def _changing_options(evaluator: Evaluator, changing: list[tuple[str, ...]]) -> str:
    """'- `x` is defined by module a.py in `a.py:3` (7)' for each option that kept changing,
    in path order, with the value of its latest definition."""
    lines = []
    for path in sorted(p for p in changing if p in evaluator.definers):
        where = []
        for index in evaluator.definers[path]:
            label = evaluator.units[index].label
            for definition in evaluator.dynamic.get(index, {}).get(path, []):
                where.append(f"module {label} in `{definition.site}` "
                             f"({show_value(definition.value, 40)})")
        if where:
            lines.append(f"- `{show_path((*evaluator.prefix, *path))}` is defined by "
                         + ", ".join(where))
    if not lines:
        return ""
    return "\nThe options that keep changing, and where they are defined:\n" + "\n".join(lines)


def _holds_declaration(value: Any) -> bool:
    """Whether an (undeclared) definition contains `option(...)` somewhere."""
    if isinstance(value, Option):
        return True
    if isinstance(value, Mapping):
        return any(_holds_declaration(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_declaration(item) for item in value)
    content = getattr(value, "content", None)
    if isinstance(value, Property):
        contents = getattr(value, "contents", None)
        return _holds_declaration(content if contents is None else list(contents))
    return False
