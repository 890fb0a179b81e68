"""Sections of a unified kernel image (a PE file): kexec-tools 2.0.29 cannot load a UKI, so
`switch` and `rollback` load its `.linux`, `.initrd` and `.cmdline` sections separately."""

from __future__ import annotations

import struct
from pathlib import Path

from pydeclos.switch.errors import SwitchError


def sections(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    try:
        (pe_offset,) = struct.unpack_from("<I", data, 0x3C)
        if data[pe_offset:pe_offset + 4] != b"PE\0\0":
            raise ValueError("no PE signature")
        count, = struct.unpack_from("<H", data, pe_offset + 6)
        optional_size, = struct.unpack_from("<H", data, pe_offset + 20)
        table = pe_offset + 24 + optional_size
        found = {}
        for index in range(count):
            entry = table + 40 * index
            name = data[entry:entry + 8].rstrip(b"\0").decode(errors="replace")
            virtual_size, = struct.unpack_from("<I", data, entry + 8)
            raw_size, raw_offset = struct.unpack_from("<II", data, entry + 16)
            found[name] = data[raw_offset:raw_offset + min(virtual_size or raw_size, raw_size)]
        return found
    except (struct.error, ValueError) as error:
        raise SwitchError(f"{path} is not a unified kernel image ({error})") from None


def split_uki(path: Path, directory: Path) -> tuple[Path, Path, str]:
    """Write the UKI's kernel and initrd into `directory`; return them and its command line."""
    found = sections(path)
    missing = [s for s in (".linux", ".initrd", ".cmdline") if s not in found]
    if missing:
        raise SwitchError(f"{path} has no {', '.join(missing)} section; it is not a UKI "
                          "built by pydeclos")
    kernel, initrd = directory / "vmlinuz", directory / "initrd"
    kernel.write_bytes(found[".linux"])
    initrd.write_bytes(found[".initrd"])
    return kernel, initrd, found[".cmdline"].rstrip(b"\0").decode().strip()
