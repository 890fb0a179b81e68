"""A real mkosi build of the hand-written fixture tree: what lands in OUT/<version>/.

The fixture is shaped like a lowered tree (trixie, layout usr, split artifacts), so these
tests check the build plumbing on its own, independent of evaluation and lowering.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.build.host import tool_path
from pydeclos.build.mkosi import default_cache
from pydeclos.cli import main
from tests.conftest import FIXTURE_TREE, copy_tree, unavailable

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi]

EROFS_MAGIC = bytes.fromhex("e2e1f5e0")  # 0xE0F5E1E2, little-endian, at 1 KiB
VERITY_MAGIC = b"verity\0\0"


def test_generation_directory_holds_image_and_update_artifacts(fixture_build) -> None:
    directory = fixture_build.directory
    assert directory.name == "1"
    names = {p.name for p in directory.iterdir()}
    assert {"fixture_1.raw", "fixture_1.efi", "fixture_1.vmlinuz", "fixture_1.initrd",
            "fixture_1.manifest", "generation.json", "build.log", "SHA256SUMS"} <= names
    usr = [n for n in names if re.fullmatch(r"fixture_1\.usr\.[0-9a-f]{32}\.raw", n)]
    verity = [n for n in names if re.fullmatch(r"fixture_1\.usr-verity\.[0-9a-f]{32}\.raw", n)]
    assert len(usr) == 1 and len(verity) == 1, names
    # Uncompressed (publish compresses them), and no staging leftovers beside the generation.
    assert not [n for n in names if n.endswith(".xz")]
    assert [p.name for p in directory.parent.iterdir()] == ["1"]


def test_partitions_are_an_erofs_and_its_verity_tree_cut_after_their_data(fixture_build) -> None:
    directory = fixture_build.directory
    usr = directory / fixture_build.artifacts["usr"]
    assert usr.read_bytes()[1024:1028] == EROFS_MAGIC
    # Cut after the file system (the slot from mkosi.repart/10-usr.conf is 1 GiB).
    assert 0 < usr.stat().st_size < 512 << 20 and usr.stat().st_size % 4096 == 0
    verity = directory / fixture_build.artifacts["usr_verity"]
    assert verity.read_bytes()[:8] == VERITY_MAGIC
    assert 0 < verity.stat().st_size < 64 << 20


def _write_into_used_slot(artifact: Path, slot: Path, slot_size: int) -> None:
    """What sysupdate does: the file at the start of a slot whose tail holds old data."""
    with slot.open("wb") as handle:
        handle.truncate(slot_size)
        handle.seek(slot_size - (8 << 20))
        handle.write(os.urandom(8 << 20))
        handle.seek(0)
        with artifact.open("rb") as stream:
            shutil.copyfileobj(stream, handle, 1 << 20)


def test_written_into_a_used_slot_the_partitions_verify_against_usrhash(
    fixture_build, tmp_path: Path
) -> None:
    veritysetup = shutil.which("veritysetup", path=tool_path())
    if veritysetup is None:
        unavailable("needs veritysetup (cryptsetup-bin, from scripts/setup-host)")
    directory = fixture_build.directory
    data, hashes = tmp_path / "usr-b", tmp_path / "usr-verity-b"
    _write_into_used_slot(directory / fixture_build.artifacts["usr"], data, 1 << 30)
    _write_into_used_slot(directory / fixture_build.artifacts["usr_verity"], hashes, 64 << 20)
    check = subprocess.run([veritysetup, "verify", str(data), str(hashes),
                            str(fixture_build.usrhash)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_uki_pins_exactly_this_usr_partition(fixture_build) -> None:
    usr_uuid = fixture_build.artifacts["usr"].split(".")[2]
    verity_uuid = fixture_build.artifacts["usr_verity"].split(".")[2]
    # repart derives the partition UUIDs from the verity root hash that usrhash= carries.
    assert fixture_build.usrhash == usr_uuid + verity_uuid
    uki = (fixture_build.directory / fixture_build.artifacts["uki"]).read_bytes()
    assert f"usrhash={fixture_build.usrhash}".encode() in uki
    assert b"mount.usr=" not in uki


def test_manifests_checksums_and_log(fixture_build) -> None:
    directory = fixture_build.directory
    generation = json.loads((directory / "generation.json").read_text())
    assert generation["version"] == 1
    assert generation["image_id"] == "fixture"
    assert generation["release"] == "trixie"
    packages = json.loads((directory / "fixture_1.manifest").read_text())["packages"]
    assert "systemd" in {p["name"] for p in packages}
    for line in (directory / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest
    assert "Generating disk image" in (directory / "build.log").read_text()


def test_config_only_rebuild_reuses_packages_and_numbers_the_next_generation(
    fixture_build, tmp_path: Path
) -> None:
    tree = copy_tree(FIXTURE_TREE, tmp_path / "tree")
    (tree / "mkosi.extra/usr/lib/pydeclos-fixture/marker").write_text("changed\n")
    out = fixture_build.directory.parent
    result = CliRunner().invoke(main, ["build", str(tree), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # --json: the result and nothing else on stdout
    assert data["version"] == 2
    assert data["usrhash"] != fixture_build.usrhash
    v1_uki = (fixture_build.directory / fixture_build.artifacts["uki"]).read_bytes()
    assert Path(data["paths"]["uki"]).read_bytes() != v1_uki
    assert set(data["durations"]) >= {"install packages", "assemble", "partitions", "checksums"}
    log = (out / "2" / "build.log").read_text()
    assert "Installing Debian" not in log, "the rebuild installed packages again"
    # mkosi's default initrd is kept from generation 1, not built again; the initrd the
    # UKI and the kexec artifact get is that one plus the kernel modules of this image.
    assert "Building default initrd" not in log and "--initrd=" in log
    kept = [p.read_bytes() for p in default_cache().incremental.glob("*/default-initrd-*")]
    initrd = Path(data["paths"]["initrd"]).read_bytes()
    v1_initrd = (fixture_build.directory / fixture_build.artifacts["initrd"]).read_bytes()
    assert any(initrd.startswith(k) and v1_initrd.startswith(k) and len(k) < len(initrd)
               for k in kept)
