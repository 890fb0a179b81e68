"""Compressing the split partitions: the .xz decompresses to the partition up to its last
non-zero block, and the digest taken on the way is the file's."""

from __future__ import annotations

import hashlib
import lzma
import os
from pathlib import Path

from pydeclos.build.artifacts import compress, usrhash


def test_compress_writes_the_data_part_and_its_digest(tmp_path: Path) -> None:
    data = os.urandom(3 << 20) + b"tail"
    partition = tmp_path / "x_1.usr.abc.raw"
    with partition.open("wb") as handle:
        handle.write(data)
        handle.truncate(64 << 20)  # the rest of the slot: zeros (a hole)
    digests: dict[str, str] = {}
    target = compress(partition, digests)
    assert not partition.exists()
    unpacked = lzma.decompress(target.read_bytes())
    assert unpacked.rstrip(b"\0") == data and len(unpacked) % 4096 == 0
    assert digests == {target.name: hashlib.sha256(target.read_bytes()).hexdigest()}


def test_the_slot_hash_the_uki_pins_is_read_on_both_layouts(tmp_path: Path) -> None:
    """`switch` checks the installed slot against it: usrhash= on layout usr, roothash= on
    layout root (the command line inside the UKI's .cmdline section)."""
    digest = "ab" * 32
    for param in ("usrhash", "roothash"):
        uki = tmp_path / f"{param}.efi"
        uki.write_bytes(b"MZ\x00.cmdline\x00console=ttyS0 " + f"{param}={digest}".encode() + b" rw\x00")
        assert usrhash(uki) == digest
    (tmp_path / "none.efi").write_bytes(b"MZ\x00 console=ttyS0\x00")
    assert usrhash(tmp_path / "none.efi") is None

