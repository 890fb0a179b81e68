"""`pydeclos options [FILE] [--json|--markdown] [PATTERN]`: every declared option, documented."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import click


def matches(path: str, pattern: str | None) -> bool:
    """Glob patterns (`services.*.enable`) or, without glob characters, a substring."""
    if not pattern:
        return True
    if any(char in pattern for char in "*?["):
        return fnmatch.fnmatchcase(path, pattern)
    return pattern in path


@click.command("options")
@click.argument("file_or_pattern", required=False, metavar="[FILE]")
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of option records.")
@click.option("--markdown", is_flag=True, help="Print Markdown (the option reference).")
@click.option("--internal", is_flag=True, help="Include internal and hidden options.")
def options_cmd(file_or_pattern: str | None, pattern: str | None, as_json: bool,
                markdown: bool, internal: bool) -> None:
    """List every declared option: path, type, default, example, description, declared at.

    Without FILE, lists the standard library's options. PATTERN filters by path: a glob
    (`services.*.enable`) or a substring (`nginx`).
    """
    from pydeclos.modsys.docs import render_markdown, render_text
    from pydeclos.system import evaluate_system

    file = None
    if file_or_pattern is not None:
        if Path(file_or_pattern).is_file() or file_or_pattern.endswith(".py"):
            file = Path(file_or_pattern)
            if not file.is_file():
                raise click.BadParameter(f"{file} does not exist", param_hint="FILE")
        elif pattern is None:
            pattern = file_or_pattern
        else:
            raise click.BadParameter(f"{file_or_pattern} is not a file", param_hint="FILE")
    infos = [
        info for info in evaluate_system(file, run=False).options
        if matches(info.path, pattern) and (internal or (info.visible and not info.internal))
    ]
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in infos], indent=2, ensure_ascii=False))
    elif markdown:
        click.echo(render_markdown(infos), nl=False)
    else:
        click.echo(render_text(infos))
