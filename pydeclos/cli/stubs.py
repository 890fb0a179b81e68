"""`pydeclos stubs [-o DIR] [FILE]`: typed stubs of every option in scope, for editors."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("stubs")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("typings"), show_default=True,
              help="Directory to write the `pydeclos_config` stub package into "
                   "(pyright reads ./typings without configuration).")
def stubs_cmd(file: Path | None, output: Path) -> None:
    """Write typing stubs (TypedDicts) of the standard library's options and, with FILE, of
    the modules FILE imports, so that mypy and pyright check a system.py annotated
    `def config(cfg) -> "Config"` (docs/editors.md)."""
    from pydeclos.docs_gen.stubs import PACKAGE, render_stub
    from pydeclos.system import evaluate_system

    if file is not None and not file.is_file():
        raise click.BadParameter(f"{file} does not exist", param_hint="FILE")
    evaluation = evaluate_system(file, run=False)
    scope = f"{file} and the standard library" if file is not None else "the standard library"
    text = render_stub(evaluation.evaluator.tree, scope)
    package = output / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.pyi").write_text(text, encoding="utf-8")
    click.echo(f"wrote {package / '__init__.pyi'}")
