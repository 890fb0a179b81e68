"""A real mkosi build of the hand-written fixture tree: what lands in OUT/<version>/.

The fixture is shaped like a lowered tree (trixie, layout usr, split artifacts), so these
tests check the build plumbing on its own, independent of evaluation and lowering.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.conftest import FIXTURE_TREE, copy_tree

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi]

XZ_MAGIC = b"\xfd7zXZ\x00"


def test_generation_directory_holds_image_and_update_artifacts(fixture_build) -> None:
    directory = fixture_build.directory
    assert directory.name == "1"
    names = {p.name for p in directory.iterdir()}
    assert {"fixture_1.raw", "fixture_1.efi", "fixture_1.vmlinuz", "fixture_1.initrd",
            "fixture_1.manifest", "generation.json", "build.log", "SHA256SUMS"} <= names
    usr = [n for n in names if re.fullmatch(r"fixture_1\.usr\.[0-9a-f]{32}\.raw\.xz", n)]
    verity = [n for n in names if re.fullmatch(r"fixture_1\.usr-verity\.[0-9a-f]{32}\.raw\.xz", n)]
    assert len(usr) == 1 and len(verity) == 1, names
    # No uncompressed copies and no staging leftovers beside the generation.
    assert not [n for n in names if n.endswith(".raw") and ".usr" in n]
    assert [p.name for p in directory.parent.iterdir()] == ["1"]


def test_partitions_are_xz_that_decompresses_to_the_full_slot(fixture_build) -> None:
    directory = fixture_build.directory
    usr = directory / fixture_build.artifacts["usr"]
    assert usr.read_bytes()[:6] == XZ_MAGIC
    with lzma.open(usr) as stream:
        size = 0
        while chunk := stream.read(1 << 24):
            size += len(chunk)
    assert size == 1 << 30  # the slot size from mkosi.repart/10-usr.conf


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
    assert set(data["durations"]) >= {"install packages", "assemble", "partitions", "compress"}
    log = (out / "2" / "build.log").read_text()
    assert "Installing Debian" not in log, "the rebuild installed packages again"
