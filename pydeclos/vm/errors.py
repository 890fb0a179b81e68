"""Errors a user of `pydeclos vm` can cause or fix."""

from __future__ import annotations

from pydeclos.errors import PydeclosError


class VmError(PydeclosError):
    """Something about booting an image went wrong."""


class VmToolMissingError(VmError):
    """qemu or its firmware is not installed."""


class ImageNotFoundError(VmError):
    """The argument names no disk image, build output or system file."""


class NotADiskImageError(VmError):
    """The file to boot is not a raw GPT disk image (empty, text, anything else)."""


class VmConsoleError(VmError):
    """A run that ended badly; the last console lines say what the guest was doing."""

    def __init__(self, message: str, console_tail: list[str]) -> None:
        tail = "\n".join(f"    {line}" for line in console_tail) or "    (no console output)"
        super().__init__(f"{message}\nlast console lines:\n{tail}")
        self.console_tail = console_tail


class BootTimeoutError(VmConsoleError):
    """The VM did not finish booting and running the command before the timeout."""


class FirmwareStallError(BootTimeoutError):
    """The guest restarted and then printed nothing at all: neither the boot loader nor a
    kernel came up. Under software emulation this is qemu stuck in the firmware after a
    reset, not the image's doing, so the run is started once more."""


class GuestPanicError(VmConsoleError):
    """The guest's kernel panicked: waiting longer cannot help, so the run ends at once."""

    def __init__(self, message: str, console_tail: list[str], emulator_fault: bool) -> None:
        super().__init__(message, console_tail)
        self.emulator_fault = emulator_fault  # the panic is qemu's fault, not the image's
