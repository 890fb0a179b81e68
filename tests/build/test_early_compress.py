"""Compressing the split partitions while mkosi still cleans up (no mkosi: the files and
the log line are put in place as mkosi 24.3 does)."""

from __future__ import annotations

import hashlib
import lzma
import os
import threading
import time
from pathlib import Path

import pytest

from pydeclos.build.artifacts import collect
from pydeclos.build.early_compress import EarlyCompress
from pydeclos.build.errors import BuildError


def mkosi_output(directory: Path, stem: str, usr: bytes, slot: str = "usr") -> None:
    for name, data in ((f"{stem}.{slot}.ab.raw", usr),
                       (f"{stem}.{slot}-verity.cd.raw", b"v" * 4096),
                       (f"{stem}.raw", b""), (f"{stem}.efi", b"uki"), (f"{stem}.vmlinuz", b"k"),
                       (f"{stem}.initrd", b"i")):
        (directory / f".{name}").write_bytes(data)
        os.replace(directory / f".{name}", directory / name)  # mkosi renames them in


def test_partitions_moved_in_after_the_marker_are_compressed_before_mkosi_ends(
        tmp_path: Path) -> None:
    digests: dict[str, str] = {}
    early = EarlyCompress(tmp_path, "x_2", digests)
    assert not early.observe("‣  Generating disk image")
    assert early.observe("‣  Saving manifest x_2.manifest")
    usr = os.urandom(1 << 20)
    threading.Timer(0.3, mkosi_output, (tmp_path, "x_2", usr)).start()
    deadline = time.monotonic() + 60  # mkosi removing its workspace: xz is done meanwhile
    while not (tmp_path / "x_2.usr-verity.cd.raw.xz").exists():
        assert time.monotonic() < deadline, "nothing was compressed while mkosi ran"
        time.sleep(0.1)
    early.finish()
    found = collect(tmp_path, "x_2", digests)
    assert found.usr == "x_2.usr.ab.raw.xz" and found.usr_verity == "x_2.usr-verity.cd.raw.xz"
    assert lzma.decompress((tmp_path / found.usr).read_bytes()) == usr
    for name in (found.usr, found.usr_verity, found.uki):
        assert digests[name] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()


def test_a_failed_build_stops_the_early_xz(tmp_path: Path) -> None:
    mkosi_output(tmp_path, "x_3", os.urandom(64 << 20))
    early = EarlyCompress(tmp_path, "x_3", {})
    early.observe("‣  Saving manifest x_3.manifest")
    time.sleep(0.5)
    started = time.monotonic()
    early.cancel()
    assert time.monotonic() - started < 5


def test_without_the_marker_collect_compresses_as_before(tmp_path: Path) -> None:
    mkosi_output(tmp_path, "x_4", b"u" * 8192)
    early = EarlyCompress(tmp_path, "x_4", {})
    early.finish()
    assert collect(tmp_path, "x_4").usr == "x_4.usr.ab.raw.xz"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildError, match="usr partition"):
        collect(empty, "x_4")


def test_layout_root_ships_the_root_slot_early_and_in_collect(tmp_path: Path) -> None:
    """On image.layout = "root" mkosi splits `<stem>.root.<uuid>.raw`, not `.usr.`."""
    early = EarlyCompress(tmp_path, "x_5", {})
    early.observe("‣  Saving manifest x_5.manifest")
    mkosi_output(tmp_path, "x_5", b"r" * 8192, slot="root")
    early.finish()
    assert (tmp_path / "x_5.root.ab.raw.xz").exists()  # compressed before mkosi ended
    found = collect(tmp_path, "x_5")
    assert found.usr == "x_5.root.ab.raw.xz" and found.usr_verity == "x_5.root-verity.cd.raw.xz"


def test_artifacts_copied_across_file_systems_wait_for_mkosi_to_end(tmp_path: Path) -> None:
    """mkosi copies instead of renaming when its workspace is on another file system: a
    partly copied partition must not be compressed, so nothing starts before mkosi ends."""
    early = EarlyCompress(tmp_path, "x_5", {}, enabled=False)
    assert not early.observe("‣  Saving manifest x_5.manifest")
    mkosi_output(tmp_path, "x_5", b"u" * 4096)
    time.sleep(0.5)
    assert not list(tmp_path.glob("*.xz"))
    early.finish()
