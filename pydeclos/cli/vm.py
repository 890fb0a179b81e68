"""`pydeclos vm IMAGE_OR_SYSTEM_FILE [--exec CMD] [--timeout S] [--kvm|--no-kvm] [--persist]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("vm")
@click.argument("target", metavar="IMAGE_OR_SYSTEM_FILE",
                type=click.Path(exists=True, path_type=Path))
@click.option("--exec", "command", metavar="CMD",
              help="Run CMD (with bash) inside once the boot has finished, print its output, "
                   "exit with its status and power the VM off.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="Seconds to wait for the boot and CMD (with --exec).")
@click.option("--kvm/--no-kvm", default=False, show_default=True,
              help="Hardware virtualisation; the default is software emulation (TCG), which "
                   "boots everywhere.")
@click.option("--persist", is_flag=True,
              help="Write to the image itself instead of a throw-away snapshot.")
@click.option("--console-log", type=click.Path(path_type=Path),
              help="With --exec: keep the serial console output in this file.")
def vm_cmd(target: Path, command: str | None, timeout: float, kvm: bool, persist: bool,
           console_log: Path | None) -> None:
    """Boot a disk image (or build a system file and boot it) in qemu with UEFI.

    Without --exec the serial console is this terminal (Ctrl-a x quits). The VM has no
    network. A system file is built first unless its newest build is up to date.
    """
    from pydeclos.build.interrupt import sigterm_interrupts
    from pydeclos.vm.qemu import VmOptions, run_exec, run_interactive
    from pydeclos.vm.target import resolve_image

    with sigterm_interrupts():  # a build or a qemu started here is stopped, not orphaned
        image = resolve_image(target, quiet=False)
        options = VmOptions(kvm=kvm, persist=persist)
        if command is None:
            click.echo(f"booting {image} (Ctrl-a x quits)", err=True)
            sys.exit(run_interactive(image, options))
        result = run_exec(image, command, options, timeout, console_log)
    report = result.report
    sys.stdout.write(report.stdout)
    sys.stdout.flush()
    sys.stderr.write(report.stderr)
    sys.stderr.flush()
    sys.exit(report.status)
