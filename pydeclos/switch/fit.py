"""Does a generation fit this machine's /usr slots? Checked before anything is written.

systemd-sysupdate finds out only while writing that a /usr image is larger than its slot,
and stops with a terse error. `switch` compares instead, before it installs: the
uncompressed size of the usr and verity artifacts (read from the xz index, without
decompressing) against the partitions of the running slot. Both slots are made the same
size (`image.usr_size`, `image.usr_verity_size`), so the running slot's size is the free one's.
"""

from __future__ import annotations

import lzma
from pathlib import Path

from pydeclos.switch.errors import SlotTooSmallError
from pydeclos.switch.machine import Partition, Slot

XZ_MAGIC = b"\xfd7zXZ\x00"
FOOTER_MAGIC = b"YZ"
FOOTER_SIZE = 12


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """An xz multibyte integer at `at`: (value, next offset)."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def xz_uncompressed_size(path: Path) -> int:
    """The uncompressed size of a single-stream .xz file, from its index (the file's tail)."""
    with path.open("rb") as handle:
        if handle.read(len(XZ_MAGIC)) != XZ_MAGIC:
            raise ValueError(f"{path} is not an xz file")
        handle.seek(0, 2)
        end = handle.tell()
        while end >= 4:  # stream padding: zero bytes after the footer
            handle.seek(end - 4)
            if handle.read(4) != b"\0\0\0\0":
                break
            end -= 4
        handle.seek(end - FOOTER_SIZE)
        footer = handle.read(FOOTER_SIZE)
        if footer[-2:] != FOOTER_MAGIC:
            raise ValueError(f"{path} has no xz stream footer (truncated?)")
        index_size = (int.from_bytes(footer[4:8], "little") + 1) * 4
        handle.seek(end - FOOTER_SIZE - index_size)
        index = handle.read(index_size)
    if index[:1] != b"\0":
        raise ValueError(f"{path} has no xz index where its footer points")
    records, at = _varint(index, 1)
    total = 0
    for _ in range(records):
        _, at = _varint(index, at)  # unpadded size
        size, at = _varint(index, at)
        total += size
    return total


def unpacked_size(path: Path) -> int:
    """Bytes the artifact takes once written: xz files by their index, others as they are."""
    if path.name.endswith(".xz"):
        try:
            return xz_uncompressed_size(path)
        except (ValueError, IndexError, lzma.LZMAError) as error:
            raise SlotTooSmallError(f"cannot read the size of {path}: {error}; copy the "
                                    "generation directory again") from None
    return path.stat().st_size


def partition_size(partition: Partition) -> int:
    """The partition's size in bytes (sysfs counts 512-byte sectors whatever the disk's)."""
    name = Path(partition.node).name
    return int((Path("/sys/class/block") / name / "size").read_text()) * 512


def check_fits(version: int, artifacts: dict[str, Path], slot: Slot,
               sizes: dict[str, int] | None = None) -> None:
    """Refuse a generation whose usr or verity image is larger than a slot's partition.

    `artifacts` maps "usr" and "usr_verity" to files; `sizes` (partition bytes by role)
    defaults to the sizes of `slot`'s partitions on this machine.
    """
    if sizes is None:
        sizes = {"usr": partition_size(slot.data), "usr_verity": partition_size(slot.hash)}
    option = {"usr": "image.usr_size", "usr_verity": "image.usr_verity_size"}
    for role, path in artifacts.items():
        needed, room = unpacked_size(path), sizes[role]
        if needed > room:
            raise SlotTooSmallError(
                f"generation {version} does not fit this machine: its {role} image is "
                f"{_mib(needed)}, but a slot's {role} partition holds {_mib(room)}. Nothing was "
                f"installed. Make the generation smaller (fewer packages), or reinstall the "
                f"machine from an image built with a larger {option[role]}: the slots' size "
                "is fixed when a machine is installed")


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
