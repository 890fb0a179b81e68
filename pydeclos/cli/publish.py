"""`pydeclos publish OUT[/<n>] DIR`: add a generation to an update directory machines pull from."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("publish")
@click.argument("source", metavar="OUT[/<n>]", type=click.Path(path_type=Path))
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--sign-key", metavar="KEY",
              help="gpg key (id, fingerprint or e-mail) to sign SHA256SUMS with; the machines "
                   "trust its public half through updates.public_key.")
@click.option("--keep", type=int, metavar="N",
              help="Keep only the newest N generations of this image in DIR.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as JSON (version, signed, update_bytes, delta_bytes, "
                   "generations…).")
def publish_cmd(source: Path, directory: Path, sign_key: str | None, keep: int | None,
                as_json: bool) -> None:
    """Add the generation in SOURCE (OUT/<n>, or OUT's newest) to the update directory DIR.

    DIR can be served by any static web server or shared as a file system; machines whose
    updates.source points at it install from it with `pydeclos switch`. Readers see the old
    set or the new one, never a mix; a published version never changes content. Each older
    generation published in DIR gets a binary delta to this one (zstd), so a machine running
    it downloads what changed instead of whole files.
    """
    from pydeclos.switch.publish import publish

    result = publish(source, directory, sign_key, keep)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    what = "already published" if result.already else "published"
    click.echo(f"generation {result.version} {what} in {result.directory}"
               + (" (SHA256SUMS signed)" if result.signed else " (unsigned)"))
    if result.delta_bytes:
        click.echo(f"a machine downloads {result.update_bytes / 1e6:.1f} MB, or with deltas from "
                   + ", ".join(f"generation {base} {size / 1e6:.1f} MB"
                               for base, size in sorted(result.delta_bytes.items())))
    if result.removed:
        click.echo(f"removed generations {', '.join(map(str, result.removed))} (--keep {keep})")
    click.echo(f"generations in {result.directory}: {', '.join(map(str, result.kept))}")
