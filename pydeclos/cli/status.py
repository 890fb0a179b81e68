"""`pydeclos status [--json]`: the running generation and where its /usr really comes from."""

from __future__ import annotations

import json

import click


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_cmd(as_json: bool) -> None:
    """The running generation, the device actually mounted at /usr, or at / on layout root
    (not /proc/cmdline, which a soft-reboot does not change), failed units, the health
    checks' result, /etc drift, on layout root /etc's local changes, and how the last update
    from the update source ended (a refused one says why)."""
    from pydeclos.switch import last_update
    from pydeclos.switch.switch import status

    data = status()
    data["last_update"] = last_update.read()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    usr = data["slot"]
    click.echo(f"{data['image_id']} generation {data['version']} (layout {data['layout']}), "
               f"kernel {data['kernel']}")
    click.echo(f"{usr['mount_point']}: {usr['device']}"
               + (f" (dm {usr['dm_name']})" if usr["dm_name"] else "")
               + (f" on partition {usr['data']} of /dev/{usr['disk']}" if usr["data"] else ""))
    failed = data["failed_units"]
    click.echo(f"failed units: {', '.join(failed) if failed else 'none'}")
    click.echo(f"health checks: {data['health_check']}")
    etc = data["etc"]
    drifted = [f"{kind} {', '.join('/etc/' + n for n in etc[kind])}"
               for kind in ("edited", "missing", "stale") if etc[kind]]
    click.echo(f"/etc: {'; '.join(drifted) if drifted else 'as declared'}")
    if data["etc_changes"] is not None:
        from pydeclos.switch.etc_overlay import summary_lines

        for line in summary_lines(data["etc_changes"]):
            click.echo(line)
    click.echo(last_update.render(data["last_update"]))
