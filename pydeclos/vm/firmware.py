"""Where the UEFI firmware (OVMF) for qemu is: Debian's `ovmf` package, old and new names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydeclos.vm.errors import VmToolMissingError

# (code, variables template) pairs, preferred first. The 4M builds are Debian's default.
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
    ("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
    ("/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd"),
)


@dataclass(frozen=True)
class Firmware:
    """The read-only firmware code and the template of its writable variable store."""

    code: Path
    variables_template: Path


def find_firmware() -> Firmware:
    """The first OVMF build present on this machine."""
    for code, variables in CANDIDATES:
        if Path(code).is_file() and Path(variables).is_file():
            return Firmware(Path(code), Path(variables))
    raise VmToolMissingError(
        "no UEFI firmware for qemu found (looked for OVMF_CODE*.fd in /usr/share/OVMF and "
        "/usr/share/edk2). Install it with scripts/setup-host (Debian package `ovmf`)."
    )
