"""A generation larger than the machine's slots is refused before sysupdate writes anything."""

from __future__ import annotations

import lzma
import subprocess
from pathlib import Path

import pytest

from pydeclos.switch.errors import SlotTooSmallError
from pydeclos.switch.fit import check_fits, unpacked_size, xz_uncompressed_size
from pydeclos.switch.machine import Partition, Slot

SLOT = Slot(2, Partition(3, "/dev/vda3", "img_2", "a"), Partition(4, "/dev/vda4", "img_2_verity", "b"))


def test_the_size_comes_from_the_xz_index_without_decompressing(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40000 + b"tail"
    single = tmp_path / "one.raw.xz"
    single.write_bytes(lzma.compress(data))
    assert xz_uncompressed_size(single) == len(data)
    raw = tmp_path / "many.raw"
    raw.write_bytes(data)
    # xz's own tool, several blocks in one stream (what multi-threaded compression writes)
    subprocess.run(["xz", "-k", "-0", "-T2", "--block-size=100000", str(raw)], check=True)
    listed = subprocess.run(["xz", "--robot", "-l", f"{raw}.xz"], capture_output=True, text=True,
                            check=True).stdout
    assert int(listed.splitlines()[-1].split()[4]) == len(data)  # "totals" row, uncompressed
    assert unpacked_size(Path(f"{raw}.xz")) == len(data)
    assert unpacked_size(raw) == len(data)


def test_a_truncated_artifact_says_so(tmp_path: Path) -> None:
    broken = tmp_path / "usr.raw.xz"
    broken.write_bytes(lzma.compress(b"x" * 1000)[:-20])
    with pytest.raises(SlotTooSmallError, match="cannot read the size of .*usr.raw.xz.*again"):
        unpacked_size(broken)


def test_a_usr_larger_than_the_slot_is_refused_with_the_option_to_change(tmp_path: Path) -> None:
    usr, verity = tmp_path / "usr.raw", tmp_path / "verity.raw"
    usr.write_bytes(b"u" * 3 * 2**20)
    verity.write_bytes(b"v" * 2**20)
    artifacts = {"usr": usr, "usr_verity": verity}
    check_fits(5, artifacts, SLOT, sizes={"usr": 3 * 2**20, "usr_verity": 2**20})  # just fits
    with pytest.raises(SlotTooSmallError) as refused:
        check_fits(5, artifacts, SLOT, sizes={"usr": 2 * 2**20, "usr_verity": 2**20})
    message = str(refused.value)
    assert "generation 5 does not fit" in message and "3.0 MiB" in message
    assert "2.0 MiB" in message and "Nothing was installed" in message
    assert "image.usr_size" in message
    with pytest.raises(SlotTooSmallError, match="usr_verity image.*image.usr_verity_size"):
        check_fits(5, artifacts, SLOT, sizes={"usr": 4 * 2**20, "usr_verity": 2**19})
