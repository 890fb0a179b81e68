"""`pydeclos lower FILE -o DIR`: evaluate a system file and write its mkosi build tree."""

from __future__ import annotations

from pathlib import Path

import click

from pydeclos.errors import PydeclosError


@click.command("lower")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the build tree to (replaced atomically).")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Generation number (ImageVersion); overrides image.version.")
@click.option("--force", is_flag=True,
              help="Replace DIR even if it holds files pydeclos did not write (they are lost).")
def lower_cmd(file: Path, output: Path, version: int | None, force: bool) -> None:
    """Write the mkosi build tree for the system declared in FILE (or FILE/system.py).

    The tree holds mkosi.conf, the disk layout, and everything shipped in /usr (units,
    users, the managed /etc, update definitions, the generation manifest). Nothing is
    written unless the whole tree could be produced. An earlier tree in DIR is replaced only
    if it holds nothing but what pydeclos wrote there; otherwise the added or changed files
    are listed and nothing is written, unless --force.
    """
    # Imported here so that `pydeclos --help` stays fast.
    from pydeclos.lower import write_tree
    from pydeclos.system import evaluate_system, lower_system

    evaluation = evaluate_system(file, version=version)
    config = evaluation.to_data()  # fails on false assertions
    for warning in evaluation.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    tree = lower_system(config, evaluation)  # a host file it cannot read names the user's line
    try:
        write_tree(tree, output, force=force)
    except OSError as error:
        raise PydeclosError(f"cannot write the build tree to {output}: {error.strerror} "
                            f"({error.filename}); choose a directory you can write to") from None
    click.echo(f"wrote {len(tree)} files to {output}")
