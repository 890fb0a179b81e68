"""The `pydeclos` command: a click group whose verbs live one per file in this package.

Verbs are imported lazily so that `pydeclos --help` and `pydeclos eval` do not pay for
the imports of `build` or `switch`.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from pydeclos.__about__ import __version__
from pydeclos.errors import PydeclosError

# verb -> (module, attribute, one-line help shown by `pydeclos --help`)
VERBS: dict[str, tuple[str, str, str]] = {
    "eval": ("pydeclos.cli.eval", "eval_cmd", "Evaluate a system file and print its configuration."),
    "options": ("pydeclos.cli.options", "options_cmd", "List every declared option with its docs."),
    "stubs": ("pydeclos.cli.stubs", "stubs_cmd", "Write typing stubs of the options for editors."),
    "graph": ("pydeclos.cli.graph", "graph_cmd", "Show which module reads and defines which option."),
    "lower": ("pydeclos.cli.lower", "lower_cmd", "Write the mkosi build tree for a system file."),
    "build": ("pydeclos.cli.build", "build_cmd", "Build the A/B disk image and update artifacts."),
    "vm": ("pydeclos.cli.vm", "vm_cmd", "Boot an image (or a system file) in qemu."),
    "switch": ("pydeclos.cli.switch", "switch_cmd", "Stage a new generation and move to it."),
    "rollback": ("pydeclos.cli.switch", "rollback_cmd", "Go back to the previous generation."),
    "generations": ("pydeclos.cli.generations", "generations_cmd",
                    "List the generations on this machine."),
    "status": ("pydeclos.cli.status", "status_cmd", "Show the running generation and its /usr."),
    "diff": ("pydeclos.cli.diff", "diff_cmd", "Show what changes between two generations."),
    "publish": ("pydeclos.cli.publish", "publish_cmd",
                "Add a generation to an update directory machines pull from."),
}


class LazyGroup(click.Group):
    """A group that imports a verb's module only when that verb runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in VERBS:
            return None
        module, attribute, _ = VERBS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The one-line help comes from VERBS, so --help imports no verb module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, _, text) in VERBS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PydeclosError as error:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pydeclos")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """pydeclos: declare a whole Linux system in Python modules, build A/B images with mkosi,
    and switch a running machine to a new generation without a reboot.

    Typical use:  pydeclos eval system.py --json;  pydeclos lower system.py -o build/;
    pydeclos build system.py;  pydeclos vm system.py --exec 'systemctl is-system-running'.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def not_implemented(verb: str) -> click.Command:
    """A placeholder verb: exits 2 until its issue lands."""

    @click.command(
        verb,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=f"{VERBS[verb][2]} (not implemented yet)",
    )
    def command() -> None:
        click.echo(f"pydeclos {verb}: not implemented yet", err=True)
        sys.exit(2)

    return command
