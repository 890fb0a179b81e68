"""`pydeclos switch [--from SOURCE]` and `pydeclos rollback`: on the running system, as root."""

from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pydeclos.switch.plan import METHODS

if TYPE_CHECKING:
    from pydeclos.switch.switch import MakeReporter, Outcome
    from pydeclos.switch.target_host import Request

METHOD = click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
                      help="How to activate: auto picks soft-reboot when kernel and command "
                           "line stay, else kexec, else reboot.")


def _require_root(verb: str, hint: str = "") -> None:
    from pydeclos.switch.errors import SwitchError

    if os.geteuid() != 0:
        raise SwitchError(f"`pydeclos {verb}` must run as root (sudo pydeclos {verb} …){hint}")


def _confirm(yes: bool, what: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(f"{what} needs --yes when not run from a terminal")
    click.confirm(f"{what}?", abort=True)


def _announce(version: int, method: str) -> None:
    """Said before the soft-reboot or kexec starts: it may stop this process right after."""
    click.echo(f"activating generation {version} by {method}…")
    sys.stdout.flush()


def _reporter(as_json: bool) -> MakeReporter:
    """Progress on stderr: redrawn in place on a terminal, quarter lines in logs, none
    with --json (the outcome's "transferred" has the figures)."""
    from pydeclos.switch.progress import Reporter

    def make(what: str, sizes: list[int]) -> Reporter:
        return Reporter(sys.stderr, what, sizes, live=sys.stderr.isatty(), quiet=as_json)

    return make


def _finish(outcome: Outcome, as_json: bool, announced: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
    else:
        for name, copy in sorted(outcome.etc.kept.items()):
            click.echo(f"/etc/{name} was edited by hand; your version is kept in {copy} "
                       "and the declared content restored")
        for name in outcome.etc.removed:
            click.echo(f"/etc/{name}: removed (the new generation no longer declares it)")
        for line in outcome.etc_local_lines():
            click.echo(line)
        if outcome.activated in ("staged", "already staged"):
            click.echo(f"generation {outcome.plan.target.version} is "
                       f"{outcome.activated}; the next boot runs it")
        elif outcome.activated == "reboot needed":
            click.echo(f"generation {outcome.plan.target.version} is installed; a reboot is "
                       f"needed to run it ({outcome.plan.why}): systemctl reboot")
        elif not announced:
            click.echo(f"activating generation {outcome.plan.target.version} by "
                       f"{outcome.activated}…")
    sys.stdout.flush()


@click.command("switch")
@click.option("--from", "source", type=click.Path(path_type=Path),
              help="A build output: OUT/ (its newest generation) or OUT/<n>/, or a `pydeclos "
                   "publish` directory. Default: the image's image.updates.source.")
@click.option("--dry-run", is_flag=True, help="Only print the plan.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and outcome) as JSON.")
@METHOD
@click.option("--yes", is_flag=True, help="Do not ask before changing the machine.")
@click.option("--allow-downgrade", is_flag=True, help="Accept a generation older than the running one.")
@click.option("--allow-other-image", is_flag=True, help="Accept a build of another image id.")
@click.option("--target-host", metavar="[USER@]HOST[:PORT]",
              help="Switch that machine over ssh: the generation is checked here, copied "
                   "there and switched there; its output and exit code are this command's.")
@click.option("--build-host", metavar="[USER@]HOST[:PORT]",
              help="With --target-host: SOURCE is a system file, built first on that machine "
                   "over ssh (like `pydeclos build --build-host`) into out/<name>/ here.")
@click.option("--ssh-option", "-o", "ssh_options", multiple=True, metavar="OPTION",
              help="With --target-host: an ssh -o option (repeatable), e.g. "
                   "-o IdentityFile=~/.ssh/deploy. $PYDECLOS_SSH_OPTS adds more ssh arguments.")
@click.option("--sudo", is_flag=True,
              help="With --target-host: run the remote switch (and build) with `sudo -n` "
                   "(USER is not root).")
@click.option("--stage-only", is_flag=True,
              help="Install into the free slot and stop: the next boot runs the new "
                   "generation (systemd-boot boots the newest). Nothing running changes; on "
                   "layout root /etc's changes are merged for it now and again at shutdown.")
@click.option("--carry-etc", is_flag=True, hidden=True,
              help="Layout root, run at shutdown by pydeclos-etc-carry.service: merge /etc's "
                   "changes again into the staged generation's.")
@click.option("--if-newer", is_flag=True,
              help="When the source has nothing newer than the running generation, or only "
                   "one this machine was rolled back from, say so and exit 0 instead of "
                   "refusing (for timers: pydeclos-update.service).")
def switch_cmd(source: Path | None, dry_run: bool, as_json: bool, method: str, yes: bool,
               allow_downgrade: bool, allow_other_image: bool, target_host: str | None,
               build_host: str | None, ssh_options: tuple[str, ...], sudo: bool,
               stage_only: bool, carry_etc: bool, if_newer: bool) -> None:
    """Install the newest generation in SOURCE (or the image's update source) into the free
    /usr slot and move to it.

    Soft-reboots into it when the kernel stays (same boot, no firmware), kexecs when the
    kernel changes, else says a reboot is needed (and reboots with --method reboot).
    Hand-edited managed /etc files are kept under /var/lib/pydeclos/etc-kept/.

    With --target-host, SOURCE is picked and checked here, copied over ssh, and switched on
    that machine (without --from, it switches from its own update source). With
    --build-host too, SOURCE is a system file that is built on the build host first.
    """
    from pydeclos.switch import last_update
    from pydeclos.switch.errors import NothingNewerError
    from pydeclos.switch.render import render_plan
    from pydeclos.switch.switch import plan_switch, switch

    if target_host is not None:
        from pydeclos.switch.target_host import Request

        request = Request(dry_run, as_json, method, yes, allow_downgrade, allow_other_image,
                          sudo, stage_only, if_newer)
        _switch_target(target_host, build_host, ssh_options, source, request)
        return
    if ssh_options or sudo or build_host:
        raise click.UsageError("--build-host, --ssh-option and --sudo go with --target-host "
                               "(to build elsewhere and keep the output here: `pydeclos build "
                               "SYSTEM --build-host HOST`)")
    if carry_etc:
        _carry_etc()
        return
    try:
        if dry_run:
            plan = plan_switch(source, method, allow_downgrade, allow_other_image)
            click.echo(json.dumps(plan.to_json(), indent=2) if as_json else render_plan(plan))
            return
        _require_root("switch", "; --dry-run shows the plan as any user")
        # From the update source, /var/lib/pydeclos/last-update.json says how the run ended.
        with last_update.recorded() if source is None else nullcontext() as attempt:
            plan = plan_switch(source, method, allow_downgrade, allow_other_image)
            if attempt is not None:
                attempt.generation = plan.target.version
            if not as_json:
                click.echo(render_plan(plan))
            _confirm(yes, f"{'stage' if stage_only else 'switch to'} generation "
                          f"{plan.target.version}")
            outcome = switch(source, method, allow_downgrade, allow_other_image, stage_only,
                             skip_rolled_back=if_newer, announce=None if as_json else _announce,
                             reporter=_reporter(as_json),
                             say=None if as_json else lambda line: click.echo(line, err=True))
    except NothingNewerError as error:
        if not if_newer:
            raise
        click.echo(json.dumps({"nothing_newer": str(error)}) if as_json
                   else f"nothing to do: {error}")
        return
    _finish(outcome, as_json, announced=not as_json)
    if outcome.activated == "reboot needed" and method == "reboot":
        from pydeclos.switch.activate import reboot

        reboot()


def _carry_etc() -> None:
    from pydeclos.switch.switch import carry_etc

    _require_root("switch --carry-etc", "")
    outcome = carry_etc()
    if outcome is None or outcome.etc_merge is None:
        click.echo("/etc: nothing to carry (no staged generation waits for this boot's end)")
        return
    click.echo(f"/etc local changes carried into generation {outcome.plan.target.version}:")
    for line in outcome.etc_local_lines():
        click.echo(line)


def _switch_target(target_host: str, build_host: str | None, ssh_options: tuple[str, ...],
                   source: Path | None, request: Request) -> None:
    from pydeclos.ssh import ssh_from
    from pydeclos.switch.source import open_output
    from pydeclos.switch.target_host import switch_remote

    ssh = ssh_from(target_host, ssh_options)
    if not (request.yes or request.dry_run or sys.stdin.isatty()):
        raise click.UsageError("switching another machine needs --yes when not run from a "
                               "terminal")
    if build_host is not None:
        source = _build_for_target(build_host, ssh_options, source, request)
    output = open_output(source) if source is not None else None
    sys.exit(switch_remote(ssh, output, request))


def _build_for_target(build_host: str, ssh_options: tuple[str, ...], source: Path | None,
                      request: Request) -> Path:
    """`switch --target-host T --build-host B --from SYSTEM`: build SYSTEM on B into
    out/<name>/<n>/ here, as `pydeclos build SYSTEM --build-host B` would; the new
    generation is the one T switches to (also for --dry-run: the plan needs it)."""
    from pydeclos.build.system import default_output
    from pydeclos.cli.build import build_elsewhere

    system = source / "system.py" if source is not None and source.is_dir() else source
    if system is None or not system.is_file():
        raise click.UsageError("--build-host needs --from SYSTEM: a system file (or a "
                               "directory with system.py) to build, not a build output")
    result = build_elsewhere(build_host, ssh_options, request.sudo, system,
                             default_output(system), None, False, request.as_json)
    click.echo(f"built generation {result.version} on {build_host}: {result.directory}",
               err=request.as_json)
    return result.directory


@click.command("rollback")
@click.option("--dry-run", is_flag=True, help="Only print the plan.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and outcome) as JSON.")
@METHOD
@click.option("--yes", is_flag=True, help="Do not ask before changing the machine.")
def rollback_cmd(dry_run: bool, as_json: bool, method: str, yes: bool) -> None:
    """Go back to the generation in the other /usr slot, the way `switch` moves forward.

    The running generation's boot entry is marked bad, so a later reboot stays back too.
    """
    from pydeclos.switch.render import render_plan
    from pydeclos.switch.switch import plan_rollback, rollback

    _require_root("rollback", "; it opens the other slot's /usr, also for --dry-run")
    if dry_run:
        plan, _ = plan_rollback(method)
        click.echo(json.dumps(plan.to_json(), indent=2) if as_json
                   else render_plan(plan, "rollback"))
        return
    _confirm(yes, "roll back")
    outcome = rollback(method)
    if not as_json:
        click.echo(render_plan(outcome.plan, "rollback"))
    _finish(outcome, as_json)
    if outcome.activated == "reboot needed" and method == "reboot":
        from pydeclos.switch.activate import reboot

        reboot()
