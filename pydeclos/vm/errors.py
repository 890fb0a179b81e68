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


class BootTimeoutError(VmError):
    """The VM did not finish booting and running the command before the timeout."""

    def __init__(self, message: str, console_tail: list[str]) -> None:
        tail = "\n".join(f"    {line}" for line in console_tail) or "    (no console output)"
        super().__init__(f"{message}\nlast console lines:\n{tail}")
        self.console_tail = console_tail
