"""`pydeclos eval FILE [--json] [--option PATH]`: the evaluated configuration, or one value."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """`a.b.c = value` lines for the human-readable output."""
    if isinstance(value, dict) and value:
        from pydeclos.modsys.errors import show_path

        out = []
        for key, item in value.items():
            out.extend(flatten(item, f"{prefix}.{show_path([key])}" if prefix else show_path([key])))
        return out
    return [(prefix, value)]


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (sorted keys).")
@click.option("--option", "option_path", metavar="PATH",
              help="Print only this value (e.g. users.users.alice.home); skips assertions.")
def eval_cmd(file: Path, as_json: bool, option_path: str | None) -> None:
    """Evaluate a system file and print its configuration.

    --json prints the whole configuration as one line of JSON with sorted keys; without it,
    one `path = value` line per value. Warnings go to stderr.
    """
    from pydeclos.system import evaluate_system

    evaluation = evaluate_system(file)
    if option_path is not None:
        value = evaluation.value(option_path)
        if as_json or not isinstance(value, str):
            click.echo(json.dumps(value, indent=2 if not as_json else None, sort_keys=True,
                                  ensure_ascii=False))
        else:
            click.echo(value)
        return
    data = evaluation.to_data()
    for warning in evaluation.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if as_json:
        # Compact, like `nix eval --json` (pipe it to `jq` to read it); keys are sorted.
        click.echo(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    else:
        for path, value in flatten(data):
            click.echo(f"{path} = {json.dumps(value, sort_keys=True, ensure_ascii=False)}")
    exit_without_teardown()


def exit_without_teardown() -> None:
    """End the process now: freeing a large evaluation object by object at interpreter exit
    takes longer than printing it (0.4 s at 10,000 modules). Only when this is the real
    `pydeclos` process writing to its real stdout, so in-process callers (tests, click's
    runner) and tools relying on atexit hooks (coverage) are unaffected."""
    out, err = sys.stdout, sys.stderr
    if out is not sys.__stdout__ or out is None or "coverage" in sys.modules:
        return
    out.flush()
    if err is not None:
        err.flush()
    os._exit(0)
