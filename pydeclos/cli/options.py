"""`pydeclos options [FILE] [--json|--markdown] [PATTERN]`: every declared option, documented."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import click

from pydeclos.nixos_names import NixosName, search


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
@click.option("--html", "html_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the option reference as one searchable page, DIR/index.html.")
@click.option("--internal", is_flag=True, help="Include internal and hidden options.")
def options_cmd(file_or_pattern: str | None, pattern: str | None, as_json: bool,
                markdown: bool, html_dir: Path | None, internal: bool) -> None:
    """List every declared option: path, type, default, example, description, declared at.

    Without FILE, lists the standard library's options. PATTERN filters by path: a glob
    (`services.*.enable`) or a substring (`nginx`). A NixOS option name (`hostName`,
    `networking.hostName`) finds its pydeclos counterpart (docs/from-nixos.md). `--html DIR`
    writes a static page searchable by path, NixOS name and description.
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
    every = [info for info in evaluate_system(file, run=False).options
             if internal or (info.visible and not info.internal)]
    infos = [info for info in every if matches(info.path, pattern)]
    rows = [] if not pattern or markdown else search(pattern, loose=not infos)
    found_as: dict[str, list[str]] = {}  # pydeclos path -> the NixOS names that found it
    for row in rows:
        if row.pydeclos is not None and row.pydeclos != row.nixos:
            found_as.setdefault(row.pydeclos, []).append(row.nixos)
    shown = {info.path for info in infos}
    infos += [info for info in every if info.path in found_as and info.path not in shown]
    if html_dir is not None:
        from pydeclos.docs_gen.options_html import nixos_names_by_path, write_page

        names = nixos_names_by_path()
        records = [info.to_dict() | {"nixos_names": names.get(info.path, [])} for info in infos]
        title = f"pydeclos options: {file}" if file is not None else "pydeclos options"
        click.echo(f"wrote {write_page(records, html_dir, title)} ({len(records)} options)")
    elif as_json:
        records = [info.to_dict() | ({"nixos_names": found_as[info.path]}
                                     if info.path in found_as else {}) for info in infos]
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    elif markdown:
        click.echo(render_markdown(infos), nl=False)
    else:
        for row in rows:
            if row.pydeclos != row.nixos:
                click.echo(said(row))
        if infos or not rows:
            if any(row.pydeclos != row.nixos for row in rows):
                click.echo()
            click.echo(render_text(infos))


def said(row: NixosName) -> str:
    """"NixOS' `a.b` is `a.c` here." (with the row's note)."""
    note = f" {row.note}" if row.note else ""
    if row.pydeclos is None:
        return f"NixOS' {row.nixos} has no counterpart here.{note}"
    return f"NixOS' {row.nixos} is {row.pydeclos} here.{note}"
