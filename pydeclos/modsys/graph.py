"""The dependency graph of an evaluation: modules, options, and who reads/defines what.

Nodes are strings: `module:<label>` and `option:<path>`. Edges carry `kind`: "defines"
(module → option), "reads" (option → module) and "imports" (module → module).
"""

from __future__ import annotations

import json
from typing import Any

from pydeclos.modsys.paths import show_path


def dependency_graph(evaluator: Any, loader: Any) -> Any:
    import networkx

    graph = networkx.DiGraph()
    names: dict[int, str] = {}
    by_key: dict[Any, str] = {}
    for index, unit in enumerate(evaluator.units):
        module = unit.module
        name = f"module:{unit.label}"
        if name in graph:
            name = f"{name} #{index}"
        names[index] = name
        site = module.config_site if module is not None else unit.source.locate(())
        graph.add_node(name, kind="module", label=str(unit.label), site=str(site))
        if module is not None:
            by_key[module.key] = name

    def option_node(path: tuple[str, ...]) -> str:
        name = f"option:{show_path(path)}"
        if name not in graph:
            graph.add_node(name, kind="option", label=show_path(path))
        return name

    for path, defs in evaluator.static.items():
        for definition in defs:
            if definition.module in names:
                graph.add_edge(names[definition.module], option_node(path), kind="defines")
    for index, defs in evaluator.dynamic.items():
        for path in defs:
            graph.add_edge(names[index], option_node(path), kind="defines")
    for index, paths in evaluator.reads.items():
        for path in paths:
            graph.add_edge(option_node(path), names[index], kind="reads")
    for importer, imported in loader.import_edges:
        if importer in by_key and imported in by_key:
            graph.add_edge(by_key[importer], by_key[imported], kind="imports")
    return graph


def render_json(graph: Any) -> str:
    nodes = [{"id": node, **graph.nodes[node]} for node in sorted(graph.nodes)]
    edges = [
        {"from": a, "to": b, "kind": graph.edges[a, b]["kind"]}
        for a, b in sorted(graph.edges)
    ]
    return json.dumps({"nodes": nodes, "edges": edges}, indent=2, ensure_ascii=False)


def render_dot(graph: Any) -> str:
    lines = ["digraph pydeclos {", "  rankdir=LR;"]
    for node in sorted(graph.nodes):
        data = graph.nodes[node]
        shape = "box" if data["kind"] == "module" else "ellipse"
        lines.append(f"  {json.dumps(node)} [label={json.dumps(data['label'])}, shape={shape}];")
    styles = {"defines": "solid", "reads": "dashed", "imports": "dotted"}
    for a, b in sorted(graph.edges):
        kind = graph.edges[a, b]["kind"]
        lines.append(f"  {json.dumps(a)} -> {json.dumps(b)} [style={styles[kind]}, "
                     f"label={json.dumps(kind)}];")
    lines.append("}")
    return "\n".join(lines)


def render_text(graph: Any) -> str:
    blocks = []
    for node in sorted(n for n in graph.nodes if graph.nodes[n]["kind"] == "module"):
        data = graph.nodes[node]
        reads = sorted(graph.nodes[p]["label"] for p in graph.predecessors(node)
                       if graph.edges[p, node]["kind"] == "reads")
        defines = sorted(graph.nodes[o]["label"] for o in graph.successors(node)
                         if graph.edges[node, o]["kind"] == "defines")
        imports = sorted(graph.nodes[m]["label"] for m in graph.successors(node)
                         if graph.edges[node, m]["kind"] == "imports")
        lines = [f"{data['label']} ({data['site']})"]
        if imports:
            lines.append("  imports: " + ", ".join(imports))
        if reads:
            lines.append("  reads: " + ", ".join(reads))
        if defines:
            lines.append("  defines: " + ", ".join(defines))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
