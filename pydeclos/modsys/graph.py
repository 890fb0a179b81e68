"""The dependency graph of an evaluation: modules, options, and who reads/defines what."""

from __future__ import annotations

from typing import Any

from pydeclos.modsys.errors import show_path


def dependency_graph(evaluator: Any, modules: list[Any], loader: Any) -> Any:
    """A networkx DiGraph: module → option ("defines"), option → module ("reads")."""
    import networkx

    graph = networkx.DiGraph()
    for index, unit in enumerate(evaluator.units):
        site = unit.module.config_site if unit.module is not None else None
        graph.add_node(("module", index), kind="module", label=unit.label,
                       site=str(site) if site else "")
    def option_node(path: tuple[str, ...]) -> tuple[str, str]:
        node = ("option", show_path(path))
        if node not in graph:
            graph.add_node(node, kind="option", label=show_path(path))
        return node

    for path, defs in evaluator.static.items():
        for definition in defs:
            graph.add_edge(("module", definition.module), option_node(path), kind="defines")
    for index, defs in evaluator.dynamic.items():
        for path in defs:
            graph.add_edge(("module", index), option_node(path), kind="defines")
    for index, paths in evaluator.reads.items():
        for path in paths:
            graph.add_edge(option_node(path), ("module", index), kind="reads")
    return graph
