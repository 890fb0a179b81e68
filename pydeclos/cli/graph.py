"""`pydeclos graph FILE [--json|--dot]`: which module reads and defines which option."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("graph")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Nodes and edges as JSON.")
@click.option("--dot", is_flag=True, help="Graphviz dot (e.g. `| dot -Tsvg > graph.svg`).")
def graph_cmd(file: Path, as_json: bool, dot: bool) -> None:
    """Show modules, options and the read/define/import edges between them.

    The edges are those recorded while evaluating: a module reads an option when its config
    function looked at it, and defines it when its config gave it a value.
    """
    from pydeclos.modsys.graph import render_dot, render_json, render_text
    from pydeclos.system import evaluate_system

    graph = evaluate_system(file).graph
    if as_json:
        click.echo(render_json(graph))
    elif dot:
        click.echo(render_dot(graph))
    else:
        click.echo(render_text(graph))
