"""`pydeclos generations [--json]`: the versions on this machine's disk and ESP."""

from __future__ import annotations

import json

import click


@click.command("generations")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def generations_cmd(as_json: bool) -> None:
    """Every generation on disk: its slot (/usr, or the whole root on layout root), its ESP
    entry with tries left and state (good, counting, bad), which one is running and which
    one boots next."""
    from pydeclos.switch.switch import generations

    data = generations()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{data['image_id']}, layout {data['layout']}")
    click.echo(f"{'gen':>4}  {'slot':<20} {'esp entry':<28} {'state':<9} notes")
    for row in data["generations"]:
        notes = [n for n, on in (("running", row["running"]), ("boots next", row["boots_next"]))
                 if on]
        state = row["state"] or "-"
        if row["state"] == "counting":
            state += f" ({row['tries_left']} left)"
        click.echo(f"{row['version']:>4}  {row['slot'] or '-':<20} {row['esp_entry'] or '-':<28} "
                   f"{state:<9} {', '.join(notes)}")
