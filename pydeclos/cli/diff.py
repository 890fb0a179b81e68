"""`pydeclos diff A B [--json]`: what moving from generation A to B changes."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def diff_cmd(a: str, b: str, as_json: bool) -> None:
    """Compare two generations: each a build output (OUT/ or OUT/<n>/) or `running` (this
    machine). Shows packages, units, /etc entries, kernel, command line, and how a switch
    from A to B would activate."""
    from pydeclos.switch.description import Description
    from pydeclos.switch.plan import make_plan
    from pydeclos.switch.render import render_plan
    from pydeclos.switch.source import open_output

    def side(name: str) -> Description:
        if name == "running":
            from pydeclos.switch.machine import running

            return running()
        return open_output(Path(name)).describe()

    plan = make_plan(side(a), side(b))
    click.echo(json.dumps(plan.to_json(), indent=2) if as_json else render_plan(plan, "diff"))
