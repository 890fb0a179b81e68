"""Boot a disk image in qemu: UEFI (OVMF), serial console, one restricted network card.

The card is qemu's user-mode network with `restrict=on`: the guest gets an address by DHCP
(so network-online.target is reached) but no packet leaves for the host or the outside.
Only what is named gets through: `forwards` (a host loopback port to a guest port) and
`host_services` (a guest address 10.0.2.100:PORT to a server on the host's loopback).

Software emulation (TCG) is the default because the /dev/kvm of some hosts (a paravirtual
variant) hangs stock kernels; `kvm=True` asks for hardware virtualisation. Without
`persist` the disk is a copy-on-write snapshot and the firmware variables a throw-away
copy, so the image stays exactly as built.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydeclos.vm.errors import (
    BootTimeoutError,
    FirmwareStallError,
    GuestPanicError,
    NotADiskImageError,
    VmError,
    VmToolMissingError,
)
from pydeclos.vm.firmware import Firmware, find_firmware
from pydeclos.vm.guest_exec import ExecReport, parse_report, smbios_credentials

QEMU = "qemu-system-x86_64"
POWEROFF_GRACE_SECONDS = 60.0


HOST_SERVICE_ADDRESS = "10.0.2.100"  # where the guest reaches `host_services`


@dataclass(frozen=True)
class PortForward:
    """A TCP port pair: `host` on the host's 127.0.0.1, `guest` in the guest."""

    host: int
    guest: int

    def __post_init__(self) -> None:
        for port in (self.host, self.guest):
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} is not between 1 and 65535")

    @classmethod
    def parse(cls, text: str) -> PortForward:
        """`HOSTPORT:GUESTPORT`, as `pydeclos vm --forward` takes it."""
        host, colon, guest = text.partition(":")
        if not colon or not host.isdigit() or not guest.isdigit():
            raise ValueError(f"{text!r} is not HOSTPORT:GUESTPORT (e.g. 2222:22)")
        return cls(int(host), int(guest))


@dataclass
class VmOptions:
    """How to boot: accelerator, size, persistence, extra read-only disks, the ports that
    reach the guest (`forwards`) and the host servers the guest reaches (`host_services`)."""

    kvm: bool = False
    persist: bool = False
    memory_mib: int = 2048
    cpus: int = 2
    extra_disks: list[Path] = field(default_factory=list)
    forwards: list[PortForward] = field(default_factory=list)
    host_services: list[PortForward] = field(default_factory=list)
    kernel_args: list[str] = field(default_factory=list)  # appended by systemd-stub


# Added to every VM boot (the image is unchanged): systemd orders the refresh of the boot
# loader's random seed on the ESP before sysinit.target, and it waits for the ESP's automount,
# which costs 16-27 s at the head of each boot under software emulation. A VM's boot loader
# seed does not matter; the machine's own boots still refresh theirs. And a busy host slows
# an emulated guest five to ten times: systemd's 90 s waits for a device or a unit's start
# then end the boot in emergency mode (seen: /home's partition came up after 90 s while two
# VMs and a build shared two cores), so a VM waits up to 10 min (VM_WAITS). A kexec boots
# the new generation's own command line, without these: the test systems name VM_WAITS in
# their own `boot.kernel_params`.
VM_WAITS = ("systemd.default_device_timeout_sec=600", "systemd.default_timeout_start_sec=600")
VM_KERNEL_ARGS = ("systemd.mask=systemd-boot-random-seed.service", *VM_WAITS)
KERNEL_ARG = re.compile(r"[^\s\x00-\x1f\x7f\"'\\]+")


def kernel_cmdline_extra(args: list[str]) -> list[str]:
    """The `-smbios` entry whose string systemd-stub appends to the UKI's command line (for
    this boot only; honoured without Secure Boot, as the firmware here runs)."""
    if not args:
        return []
    for arg in args:
        if not KERNEL_ARG.fullmatch(arg):
            raise ValueError(f"{arg!r} is not one kernel argument (no spaces, quotes or "
                             "control characters)")
    value = "io.systemd.stub.kernel-cmdline-extra=" + " ".join(args)
    return ["-smbios", "type=11,value=" + value.replace(",", ",,")]


def network_card(options: VmOptions) -> list[str]:
    """qemu's -nic: a virtio card on a user-mode network that reaches nothing but the
    forwards (restrict=on); IPv6 off, so no router advertisement waits for a route."""
    spec = ["user", "model=virtio-net-pci", "restrict=on", "ipv6=off"]
    spec += [f"hostfwd=tcp:127.0.0.1:{f.host}-:{f.guest}" for f in options.forwards]
    spec += [f"guestfwd=tcp:{HOST_SERVICE_ADDRESS}:{f.guest}-cmd:{relay_command(f.host)}"
             for f in options.host_services]
    return ["-nic", ",".join(spec)]


def relay_command(port: int) -> str:
    """What qemu runs per guest connection to a host service (pydeclos/vm/relay.py)."""
    python = sys.executable
    if any(c in python for c in ", '\"\\"):
        raise VmError(f"the Python interpreter's path {python!r} cannot go in qemu's "
                      "guestfwd option (it holds a comma, space or quote)")
    return f"{python} -m pydeclos.vm.relay {port}"


def qemu_binary() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise VmToolMissingError(
            f"{QEMU} is not installed. Install it with scripts/setup-host "
            "(Debian package `qemu-system-x86`)."
        )
    return path


def variables_store(image: Path, firmware: Firmware, persist: bool, scratch: Path) -> Path:
    """The writable UEFI variable store: kept beside the image with --persist, else a copy."""
    if persist:
        store = image.with_name(image.name + ".efivars.fd")
        if not store.exists():
            shutil.copyfile(firmware.variables_template, store)
        return store
    store = scratch / "efivars.fd"
    shutil.copyfile(firmware.variables_template, store)
    return store


def qemu_command(
    image: Path,
    options: VmOptions,
    firmware: Firmware,
    variables: Path,
    serial: list[str],
    smbios: list[str],
) -> list[str]:
    """The full qemu argv."""
    accel = ["-accel", "kvm", "-cpu", "host"] if options.kvm else [
        "-accel", "tcg,thread=multi", "-cpu", "max"]
    snapshot = "" if options.persist else ",snapshot=on"
    command = [
        qemu_binary(), "-machine", "q35", *accel,
        "-smp", str(options.cpus), "-m", str(options.memory_mib),
        "-nodefaults", "-no-user-config", "-display", "none", *network_card(options),
        "-drive", f"if=pflash,format=raw,readonly=on,file={firmware.code}",
        "-drive", f"if=pflash,format=raw,file={variables}",
        "-drive", f"if=virtio,format=raw,file={image},cache=unsafe{snapshot}",
        "-device", "virtio-rng-pci",
    ]
    for disk in options.extra_disks:
        command += ["-drive", f"if=virtio,format=raw,file={disk},readonly=on"]
    for port in serial:
        command += ["-serial", port]
    for entry in smbios:
        command += ["-smbios", entry]
    command += kernel_cmdline_extra([*VM_KERNEL_ARGS, *options.kernel_args])
    return command


SECTOR_SIZES = (512, 4096)
HINT = ("pass the .raw disk image of a `pydeclos build` (OUT/<n>/<id>_<n>.raw), its output "
        "directory, or a system file")


def check_image(image: Path) -> None:
    """Refuse at once what cannot be a bootable raw disk: qemu would take any file and the
    firmware would wait at the UEFI shell until the timeout."""
    if not image.is_file():
        raise NotADiskImageError(f"{image} is not a disk image file; {HINT}")
    size = image.stat().st_size
    if size == 0:
        raise NotADiskImageError(f"{image} is empty, not a disk image; {HINT}")
    with image.open("rb") as handle:
        head = handle.read(max(SECTOR_SIZES) + 8)
    if not any(head[sector:sector + 8] == b"EFI PART" for sector in SECTOR_SIZES):
        text = head[:512].isascii() and b"\0" not in head[:512]
        what = "a text file" if text else "a file without a GPT partition table"
        raise NotADiskImageError(f"{image} is {what}, not a disk image (UEFI boots GPT "
                                 f"disks); {HINT}")


def run_interactive(image: Path, options: VmOptions) -> int:
    """Boot with the serial console on this terminal (Ctrl-a x quits qemu)."""
    check_image(image)
    firmware = find_firmware()
    with tempfile.TemporaryDirectory(prefix="pydeclos-vm-") as scratch:
        variables = variables_store(image, firmware, options.persist, Path(scratch))
        command = qemu_command(image, options, firmware, variables, ["mon:stdio"], [])
        return subprocess.run(command).returncode


@dataclass(frozen=True)
class ExecResult:
    """A finished `vm --exec`: the command's report and how long the whole run took."""

    report: ExecReport
    seconds: float  # from qemu's start until the command's report arrived
    console: list[str]


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _tail(path: Path, lines: int) -> list[str]:
    """The last non-empty console lines, without colour codes."""
    if not path.exists():
        return []
    text = ANSI_ESCAPE.sub("", path.read_bytes().decode(errors="replace").replace("\r", ""))
    kept: deque[str] = deque(maxlen=lines)
    for line in text.splitlines():
        if line.strip():
            kept.append(line)
    return list(kept)


PANIC_MARKER = b"Kernel panic - not syncing"
# Multi-threaded TCG now and then runs a stale copy of kernel code another vCPU has just
# patched, and the guest dies on the breakpoint byte of that patch ("Oops: int3") -- a fault
# of the emulator, not of the image. Seen in CI roughly once in a few hundred boots. The same
# stale code in user space crashes a process instead; when that process is PID 1 the kernel
# panics with "Attempted to kill init!" (seen once in a rehearsal, in a boot of an image that
# booted fine before and after). A broken image panics so again on the retry.
EMULATOR_FAULT_MARKERS = (b"Oops: int3", b"Attempted to kill init!")
# The kernel's last line before a reset. A healthy restart prints the boot loader's terminal
# probes and then the kernel within seconds; once in a few hundred TCG reboots qemu stays
# silent in the firmware for good instead (seen in CI: 45 minutes of nothing).
RESTART_MARKER = b"reboot: machine restart"
RESTART_STALL_SECONDS = 300.0
# What the kernel prints last before any reset: a reboot, or sysrq `b` (a power cut's stand-in).
RESET_MARKERS = (RESTART_MARKER, b"sysrq: Resetting")
# A --persist run restarts qemu at each guest reset instead of resetting inside one qemu:
# there the next kernel unpacked its initrd in 10-50 s instead of 2-3 s (probably emulated
# writes to memory that held translated code; seen, not explained), and a fresh qemu
# cannot stall in the firmware after a reset. The bound stops a guest that resets over
# and over.
MAX_RESTARTS = 20


class ConsoleWatch:
    """Reads the console file as it grows and notices a kernel panic in it, or a reset
    after which nothing comes out any more.

    A panicked kernel stops (or reboots into the same panic), a stuck reset never prints
    again; without this a run would sit until its timeout, which for tests is up to 45 min.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.clock = clock
        self.offset = 0
        self.carry = b""
        self.panicked = False
        self.emulator_fault = False
        self.last_output = clock()
        self.restarting = False  # the newest output ends with the kernel's reset line
        self.reset = False  # the newest output ends with a reset or sysrq's reset

    def poll(self) -> bool:
        """Read what arrived since the last call; true once a panic has been seen."""
        if self.panicked or not self.path.exists():
            return self.panicked
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        window = self.carry + chunk
        if chunk.strip():
            self.last_output = self.clock()
            self.restarting = window.rstrip().endswith(RESTART_MARKER)
            self.reset = window.rstrip().endswith(RESET_MARKERS)
        self.emulator_fault = self.emulator_fault or any(
            marker in window for marker in EMULATOR_FAULT_MARKERS)
        self.panicked = PANIC_MARKER in window
        self.carry = window[-max(len(PANIC_MARKER), *map(len, EMULATOR_FAULT_MARKERS),
                                 *(len(m) + 8 for m in RESET_MARKERS)):]
        return self.panicked

    def stalled_after_restart(self) -> bool:
        """True when the guest reset and nothing has come out since, for too long."""
        return self.restarting and self.clock() - self.last_output > RESTART_STALL_SECONDS


def _warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def run_exec(
    image: Path, command: str, options: VmOptions, timeout: float,
    console_log: Path | None = None, warn: Callable[[str], None] = _warn,
) -> ExecResult:
    """Boot, run `command` inside once the boot has finished, power off, return its report.

    The console (ttyS0) is captured to `console_log` (or a temporary file); a boot that does
    not report in `timeout` seconds is killed and the last console lines are in the error. A
    kernel panic on the console ends the run at once (GuestPanicError); when it is the
    emulator's known faults (EMULATOR_FAULT_MARKERS under software emulation), or when the
    guest resets and then stays silent (FirmwareStallError), the VM is started once more,
    saying so through `warn`.
    """
    check_image(image)
    try:
        return _run_exec_once(image, command, options, timeout, console_log)
    except GuestPanicError as error:
        if options.kvm or not error.emulator_fault:
            raise
        warn("the VM's kernel died as qemu's software emulation now and then makes it die "
             "(\"Oops: int3\" while patching its own code, or PID 1 crashing); "
             "starting it once more")
    except FirmwareStallError:
        if options.kvm:
            raise
        warn(f"the VM restarted and then stayed silent for {RESTART_STALL_SECONDS:.0f} s "
             "(qemu stuck in the firmware after a reset); starting it once more")
    return _run_exec_once(image, command, options, timeout, console_log)


def _run_exec_once(
    image: Path, command: str, options: VmOptions, timeout: float, console_log: Path | None
) -> ExecResult:
    firmware = find_firmware()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pydeclos-vm-") as scratch_name:
        scratch = Path(scratch_name)
        console = console_log or scratch / "console.log"
        # qemu appends to it (below); the watch must not read an earlier run's console (a
        # retried one's panic) as this run's.
        console.unlink(missing_ok=True)
        report_file = scratch / "exec-report"
        variables = variables_store(image, firmware, options.persist, scratch)
        # The console is appended to, so that it holds every boot of a restarted run.
        argv = qemu_command(
            image, options, firmware, variables,
            ["chardev:console", f"file:{report_file}"],
            smbios_credentials(command),
        ) + ["-chardev", f"file,id=console,path={str(console).replace(',', ',,')},append=on"]
        if options.persist:
            argv.append("-no-reboot")  # a guest reset ends qemu; the loop starts it again

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )

        process = start()
        restarts = 0
        report: ExecReport | None = None
        watch = ConsoleWatch(console)
        try:
            while True:
                exited = process.poll() is not None
                if report_file.exists():
                    report = parse_report(report_file.read_bytes().decode(errors="replace"))
                if report is None and exited and not watch.poll() and watch.reset \
                        and process.returncode == 0 and options.persist and restarts < MAX_RESTARTS:
                    restarts += 1  # the guest reset itself (-no-reboot): boot it again
                    watch.reset = False
                    process = start()
                    continue
                if report is not None or exited:
                    break
                if watch.poll():
                    time.sleep(1.0)  # let the rest of the panic message reach the file
                    raise GuestPanicError(
                        "the VM's kernel panicked before the command finished",
                        _tail(console, 25), emulator_fault=watch.emulator_fault,
                    )
                if watch.stalled_after_restart():
                    raise FirmwareStallError(
                        f"the VM restarted and printed nothing for "
                        f"{RESTART_STALL_SECONDS:.0f} s (stuck before the boot loader)",
                        _tail(console, 25),
                    )
                if time.monotonic() - started > timeout:
                    raise BootTimeoutError(
                        f"the VM did not finish booting and running the command within "
                        f"{timeout:.0f} s (raise it with --timeout)",
                        _tail(console, 25),
                    )
                time.sleep(0.5)
            if report is None:
                qemu_output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                tail = _tail(console, 25)
                hint = ""
                powered_off = any("reboot: Power down" in line for line in tail)
                if options.persist and process.returncode == 0 and not watch.reset \
                        and not powered_off:
                    hint = ("\nThe guest reset or powered off. With --persist a reset is seen "
                            "on the serial console only: keep console=ttyS0 in "
                            "boot.kernel_params (the default) to have qemu started again.")
                raise VmError(
                    f"qemu exited with status {process.returncode} before the command ran:\n"
                    f"{qemu_output.strip()}\nlast console lines:\n"
                    + "\n".join(f"    {line}" for line in tail) + hint
                )
            seconds = time.monotonic() - started
            # The guest powers itself off. A --persist disk must see that through; a snapshot
            # is thrown away, so there the VM only gets a moment before qemu is stopped.
            try:
                process.wait(timeout=POWEROFF_GRACE_SECONDS if options.persist else 2.0)
            except subprocess.TimeoutExpired:
                pass
            return ExecResult(report, seconds, _tail(console, 200))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
