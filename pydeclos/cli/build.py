"""`pydeclos build FILE [-o OUT] [--version N] [--json] [--verbose] [--build-host HOST]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pydeclos.build.pipeline import BuildResult


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@click.command("build")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              help="Output directory; generation N goes to OUT/N/. [default: out/<system name>]")
@click.option("--version", "version", type=click.IntRange(min=1),
              help="Generation number (ImageVersion). [default: one more than the newest in OUT]")
@click.option("--json", "as_json", is_flag=True, help="Print only the result as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Stream mkosi's output.")
@click.option("--build-host", metavar="[USER@]HOST[:PORT]",
              help="Build on that machine over ssh (it needs pydeclos and mkosi, and root): "
                   "FILE is evaluated and lowered here, the tree built there, and the "
                   "generation copied back into OUT/<n>/ here.")
@click.option("--ssh-option", "ssh_options", multiple=True, metavar="OPTION",
              help="With --build-host: an ssh -o option (repeatable), e.g. "
                   "--ssh-option IdentityFile=~/.ssh/build. $PYDECLOS_SSH_OPTS adds more.")
@click.option("--sudo", is_flag=True,
              help="With --build-host: build there with `sudo -n` (USER is not root).")
def build_cmd(file: Path, out: Path | None, version: int | None, as_json: bool, verbose: bool,
              build_host: str | None, ssh_options: tuple[str, ...], sudo: bool) -> None:
    """Build the A/B disk image and the update artifacts of FILE as root with mkosi.

    FILE is a system file (or a directory with system.py), or a build tree directory
    written by `pydeclos lower` (one with mkosi.conf; then -o is required).

    Writes OUT/<version>/: the disk image, the /usr and verity partitions, the UKI,
    kernel and initrd, SHA256SUMS, generation.json, mkosi's package manifest and build.log.
    Packages are cached in /var/cache/pydeclos ($PYDECLOS_CACHE), so a change to /etc
    files or units rebuilds without installing packages again.

    With --build-host, mkosi runs on that machine (and uses its cache); this machine needs
    neither root nor mkosi.
    """
    from pydeclos.build.interrupt import Terminated, sigterm_interrupts
    from pydeclos.build.pipeline import build_tree
    from pydeclos.build.progress import Progress
    from pydeclos.build.system import build_system, default_output, system_name

    progress = Progress(quiet=as_json)
    if file.is_dir() and (file / "system.py").is_file():
        file = file / "system.py"
    if file.is_dir() and not (file / "mkosi.conf").is_file():
        raise click.UsageError(f"{file} holds neither system.py nor an mkosi.conf")
    if file.is_dir() and out is None:
        raise click.UsageError("building a tree directory needs -o OUT")
    if build_host is None and (ssh_options or sudo):
        raise click.UsageError("--ssh-option and --sudo go with --build-host")
    try:
        with sigterm_interrupts():
            if build_host is not None:
                result = build_elsewhere(build_host, ssh_options, sudo, file,
                                         out or default_output(file), version, verbose, as_json)
            elif file.is_dir():
                assert out is not None  # checked above
                result = build_tree(file, out, version, progress=progress, verbose=verbose)
            else:
                result = build_system(file, out or default_output(file), version,
                                      progress=progress, verbose=verbose)
    except KeyboardInterrupt as interrupt:
        progress.abort()
        signal_name = "SIGTERM" if isinstance(interrupt, Terminated) else "Ctrl-C"
        click.secho(f"error: build stopped by {signal_name}: mkosi (if it had started) was "
                    "stopped, and no generation was written", fg="red", err=True)
        sys.exit(143 if isinstance(interrupt, Terminated) else 130)
    except BaseException:
        progress.abort()
        raise
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    name = system_name(file) if not file.is_dir() else result.image_id
    click.echo(f"built {name} generation {result.version} in {result.total_seconds:.0f} s: "
               f"{result.directory}")
    for role, path in result.to_json()["paths"].items():
        size = result.sizes.get(role, {})
        shown = _human(size.get("allocated", 0)) if role == "image" else _human(size.get("bytes", 0))
        click.echo(f"  {role:<17} {Path(path).name}  ({shown})")
    click.echo(f"boot it: pydeclos vm {result.directory / str(result.artifacts['image'])}")


def build_elsewhere(build_host: str, ssh_options: tuple[str, ...], sudo: bool, file: Path,
                    out: Path, version: int | None, verbose: bool, quiet: bool
                    ) -> BuildResult:
    """`--build-host`: see pydeclos.build.remote (also used by `switch --build-host`)."""
    from pydeclos.build.remote import BuildHost, build_on_host
    from pydeclos.ssh import ssh_from

    def say(line: str) -> None:
        if not quiet or line.startswith("warning:"):
            click.echo(line, err=True)

    ssh = ssh_from(build_host, ssh_options, flag="--build-host", role="build host",
                   option_flag="--ssh-option")
    return build_on_host(BuildHost(ssh, sudo, verbose), file, out, version, say)
