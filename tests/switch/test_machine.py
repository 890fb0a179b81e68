"""Reading boot entries the way systemd-boot orders them, and slots from partition labels."""

from __future__ import annotations

from pathlib import Path

from pydeclos.switch import machine
from pydeclos.switch.machine import Partition, Slot


def esp(tmp_path: Path, monkeypatch, *names: str) -> None:
    linux = tmp_path / "EFI" / "Linux"
    linux.mkdir(parents=True)
    for name in names:
        (linux / name).write_bytes(b"")
    monkeypatch.setattr(machine, "ESP_CANDIDATES", (tmp_path,))


def test_entries_newest_first_and_bad_ones_last(tmp_path: Path, monkeypatch) -> None:
    esp(tmp_path, monkeypatch, "img_1.efi", "img_2+0-3.efi", "img_3+2-1.efi", "other_9.efi")
    entries = machine.boot_entries("img")
    assert [(e.version, e.state) for e in entries] == [(3, "counting"), (1, "good"), (2, "bad")]
    assert (entries[0].tries_left, entries[0].tries_done) == (2, 1)


def test_the_root_hash_is_both_partition_uuids() -> None:
    data = Partition(2, "/dev/vda2", "img_1", "611eaf4b-f964-f625-79f4-0f2964dd1cb0")
    hash_ = Partition(3, "/dev/vda3", "img_1_verity", "22357845-b925-38b3-22e6-fad6db512609")
    assert Slot(1, data, hash_).roothash == (
        "611eaf4bf964f62579f40f2964dd1cb022357845b92538b322e6fad6db512609")


def test_the_layout_is_the_running_generations(tmp_path: Path) -> None:
    manifest = tmp_path / machine.SYSTEM_MANIFEST
    assert machine.layout(tmp_path) == "usr"  # not a pydeclos /usr: the commands' errors speak
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"layout": "root"}')
    assert machine.layout(tmp_path) == "root"
    manifest.write_text('{"version": 1}')  # written before generation.json named the layout
    assert machine.layout(tmp_path) == "usr"
    assert machine.SLOT_MOUNT_POINTS == {"usr": "/usr", "root": "/"}
