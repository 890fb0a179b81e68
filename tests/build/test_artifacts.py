"""Collecting mkosi's output: the split partitions are cut after their last non-zero block
and stay uncompressed, and the digests taken on the way are the files'."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pydeclos.build.artifacts import collect, usrhash
from pydeclos.build.errors import BuildError


def mkosi_output(directory: Path, stem: str, usr: bytes, slot: str = "usr") -> None:
    """The files mkosi 24.3 leaves in the output directory, each partition at slot size."""
    for name, data in ((f"{stem}.{slot}.ab.raw", usr), (f"{stem}.{slot}-verity.cd.raw", b"v" * 4096),
                       (f"{stem}.raw", b""), (f"{stem}.efi", b"uki"), (f"{stem}.vmlinuz", b"k"),
                       (f"{stem}.initrd", b"i")):
        with (directory / name).open("wb") as handle:
            handle.write(data)
            if name.endswith(".ab.raw") or name.endswith(".cd.raw"):
                handle.truncate(64 << 20)  # the rest of the slot: zeros (a hole)
    (directory / stem).symlink_to(f"{stem}.raw")


def test_collect_trims_the_partitions_and_hashes_every_update_artifact(tmp_path: Path) -> None:
    usr = os.urandom(3 << 20) + b"tail"
    mkosi_output(tmp_path, "x_1", usr)
    digests: dict[str, str] = {}
    found = collect(tmp_path, "x_1", digests)
    assert found.usr == "x_1.usr.ab.raw" and found.usr_verity == "x_1.usr-verity.cd.raw"
    trimmed = (tmp_path / found.usr).read_bytes()
    assert trimmed.rstrip(b"\0") == usr and len(trimmed) % 4096 == 0 and len(trimmed) < 4 << 20
    assert (tmp_path / found.usr_verity).stat().st_size == 4096
    assert not (tmp_path / "x_1").exists()  # mkosi's convenience link
    for name in (found.usr, found.usr_verity, found.uki, found.kernel, found.initrd):
        assert digests[name] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()


def test_layout_root_collects_the_root_slot(tmp_path: Path) -> None:
    """On image.layout = "root" mkosi splits `<stem>.root.<uuid>.raw`, not `.usr.`."""
    mkosi_output(tmp_path, "x_5", b"r" * 8192, slot="root")
    found = collect(tmp_path, "x_5")
    assert found.usr == "x_5.root.ab.raw" and found.usr_verity == "x_5.root-verity.cd.raw"


def test_a_missing_partition_is_named(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="usr partition"):
        collect(tmp_path, "x_4")


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

