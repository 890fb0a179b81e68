"""`pydeclos vm IMAGE_OR_SYSTEM_FILE [--exec CMD] [--timeout S] [--kvm|--no-kvm] [--persist]
[--forward HOSTPORT:GUESTPORT]... [--host-service PORT]... [--kernel-arg ARG]...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pydeclos.vm.qemu import PortForward


def parse_forwards(values: tuple[str, ...]) -> list[PortForward]:
    """--forward values, or a usage error naming the bad one."""
    forwards = []
    for value in values:
        try:
            forwards.append(PortForward.parse(value))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--forward") from None
    hosts = [f.host for f in forwards]
    for port in sorted({p for p in hosts if hosts.count(p) > 1}):
        raise click.BadParameter(f"host port {port} is forwarded twice", param_hint="--forward")
    return forwards


def check_kernel_args(values: tuple[str, ...]) -> list[str]:
    """--kernel-arg values, or a usage error naming the bad one."""
    from pydeclos.vm.qemu import kernel_cmdline_extra

    for value in values:
        try:
            kernel_cmdline_extra([value])
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--kernel-arg") from None
    return list(values)


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
              help="Write to the image itself instead of a throw-away snapshot. With --exec, "
                   "a reboot inside the guest then starts qemu afresh (faster under emulation).")
@click.option("--forward", "forwards", metavar="HOSTPORT:GUESTPORT", multiple=True,
              callback=lambda ctx, param, values: parse_forwards(values),
              help="Forward TCP port HOSTPORT of the host's 127.0.0.1 to GUESTPORT in the "
                   "guest (repeatable), e.g. --forward 2222:22 for `ssh -p 2222 localhost`.")
@click.option("--host-service", "host_services", metavar="PORT", multiple=True,
              type=click.IntRange(1, 65535),
              help="Let the guest reach the server on the host's 127.0.0.1:PORT at "
                   "10.0.2.100:PORT (repeatable); it reaches nothing else of the host.")
@click.option("--kernel-arg", "kernel_args", metavar="ARG", multiple=True,
              callback=lambda ctx, param, values: check_kernel_args(values),
              help="Append ARG to the kernel command line for this boot only (repeatable), "
                   "e.g. --kernel-arg systemd.log_level=debug; systemd-stub adds it.")
@click.option("--console-log", type=click.Path(path_type=Path),
              help="With --exec: keep the serial console output in this file.")
def vm_cmd(target: Path, command: str | None, timeout: float, kvm: bool, persist: bool,
           forwards: list[PortForward], host_services: tuple[int, ...],
           kernel_args: list[str], console_log: Path | None) -> None:
    """Boot a disk image (or build a system file and boot it) in qemu with UEFI.

    Without --exec the serial console is this terminal (Ctrl-a x quits). The VM gets an
    address by DHCP from qemu's user network, restricted: only the --forward ports reach
    it, and it reaches only the --host-service servers, neither the host nor the outside.
    A system file is built first unless its newest build is up to date.
    """
    from pydeclos.build.interrupt import sigterm_interrupts
    from pydeclos.vm.qemu import VmOptions, run_exec, run_interactive
    from pydeclos.vm.target import resolve_image

    with sigterm_interrupts():  # a build or a qemu started here is stopped, not orphaned
        image = resolve_image(target, quiet=False)
        options = VmOptions(kvm=kvm, persist=persist, forwards=forwards,
                            host_services=[PortForward(p, p) for p in sorted(set(host_services))],
                            kernel_args=kernel_args)
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
