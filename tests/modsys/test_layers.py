"""The engine is layered: its modules import each other without a cycle, so each can be
read (and tested) knowing only the ones below it.

Every import between `pydeclos.modsys` modules counts — at module level or inside a
function — except those under `if TYPE_CHECKING:` (annotations only) and the contained
recursion listed in CONTAINED. The engine also knows nothing of the rest of pydeclos.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx

PACKAGE = Path(__file__).resolve().parents[2] / "pydeclos" / "modsys"

# The one cycle the design keeps (review b.4): `Type.__or__` (`t.Port | None`) builds a
# union with `as_type`, which is made of the types that derive from `Type`.
CONTAINED = {("type_base", "annotations"), ("type_base", "compound_types")}

# What the engine may import from the rest of pydeclos: only the common error base.
OUTSIDE_ALLOWED = {"pydeclos.errors"}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for each import, TYPE_CHECKING blocks left out."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child, in_function)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pydeclos.modsys":
                found.extend((f"pydeclos.modsys.{alias.name}", in_function) for alias in node.names)
            else:
                found.append((node.module, in_function))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, in_function) for alias in node.names)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def import_graph() -> tuple[networkx.DiGraph, list[tuple[str, str]]]:
    """The engine's import graph, and the imports it makes of the rest of pydeclos."""
    graph = networkx.DiGraph()
    outside = []
    for file in sorted(PACKAGE.glob("*.py")):
        name = file.stem
        graph.add_node(name)
        for target, in_function in _imports(ast.parse(file.read_text(), str(file))):
            if target.startswith("pydeclos.modsys."):
                imported = target.split(".")[2]
                if (PACKAGE / f"{imported}.py").exists() and \
                        not (in_function and (name, imported) in CONTAINED):
                    graph.add_edge(name, imported)
            elif target.split(".")[0] == "pydeclos" and target not in OUTSIDE_ALLOWED:
                outside.append((name, target))
    return graph, outside


def test_the_engine_imports_itself_without_a_cycle() -> None:
    graph, _ = import_graph()
    cycles = sorted(networkx.simple_cycles(graph))
    assert cycles == [], "import cycles in pydeclos/modsys: " + "; ".join(
        " → ".join([*cycle, cycle[0]]) for cycle in cycles)


def test_the_contained_recursion_is_still_needed() -> None:
    """CONTAINED lists only imports that really exist (a stale entry would hide a new one)."""
    source = (PACKAGE / "type_base.py").read_text()
    for _, imported in CONTAINED:
        assert f"from pydeclos.modsys.{imported} import" in source


def test_the_engine_knows_nothing_of_the_rest_of_pydeclos() -> None:
    _, outside = import_graph()
    assert outside == []


def test_the_graph_sees_every_kind_of_import() -> None:
    """The parser behind the other tests: a function-local import counts, a TYPE_CHECKING
    one does not."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from pydeclos.modsys.a import x\n"
        "from pydeclos.modsys import b\n"
        "if TYPE_CHECKING:\n    from pydeclos.modsys.c import y\n"
        "def f():\n    from pydeclos.modsys.d import z\n"
    )
    assert _imports(tree) == [("typing", False), ("pydeclos.modsys.a", False),
                              ("pydeclos.modsys.b", False), ("pydeclos.modsys.d", True)]
