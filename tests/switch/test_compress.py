"""xz of the partition images `publish` serves."""

from __future__ import annotations

import hashlib
import lzma
import os
from pathlib import Path

import pytest

from pydeclos.switch.compress import compress
from pydeclos.switch.errors import SwitchError
from tests.build.mounts import tmpfs


def test_compress_writes_an_xz_of_the_file_and_returns_its_digest(tmp_path: Path) -> None:
    data = os.urandom(3 << 20) + bytes(1 << 20)
    source = tmp_path / "x_1.usr.abc.raw"
    source.write_bytes(data)
    target = tmp_path / "x_1.usr.abc.raw.xz"
    digest = compress(source, target)
    assert lzma.decompress(target.read_bytes()) == data
    assert digest == hashlib.sha256(target.read_bytes()).hexdigest()
    assert source.read_bytes() == data  # the build's copy stays


@pytest.mark.needs_root
def test_an_update_directory_filling_up_while_compressing_is_named(tmp_path: Path) -> None:
    source = tmp_path / "image.usr.raw"
    source.write_bytes(os.urandom(8 << 20))  # incompressible: xz needs 8 MiB more
    with tmpfs(tmp_path / "updates", "4m") as updates:
        with pytest.raises(SwitchError) as caught:
            compress(source, updates / "image.usr.raw.xz")
    message = str(caught.value)
    assert f"{updates} ran out of disk space while compressing image.usr.raw" in message
    assert "larger disk" in message
