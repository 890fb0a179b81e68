"""Deltas between published generations: `publish` makes them with real zstd, a machine
rebuilds the new generation from what it runs, and anything that does not check out either
refuses (a changed download) or falls back to whole files (a base that differs)."""

from __future__ import annotations

import json
import lzma
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.switch import remote
from pydeclos.switch.delta import deltas_name, read_deltas
from pydeclos.switch.delta_install import MEMORY_PARENT, PREFIX, WORK_PARENT, rebuilt_from_deltas
from pydeclos.switch.errors import CorruptArtifactError
from pydeclos.switch.publish import publish
from pydeclos.switch.source import BuildOutput, read_sums
from tests.switch.test_source import generation

SIZE = 2**20


def payload(version: int):
    """Artifacts of 1 MiB of noise each (nothing compresses them), a few bytes differing
    between versions, as two builds of one package set differ."""
    def content(role: str) -> bytes:
        data = bytearray(random.Random(role).randbytes(SIZE))
        data[1000:1000 + len(f"generation {version}")] = f"generation {version}".encode()
        return bytes(data)
    return content


def published(tmp_path: Path, versions: tuple[int, ...], keep: int | None = None) -> Path:
    served = tmp_path / "served"
    for version in versions:
        generation(tmp_path / "out", version, payload(version))
        publish(tmp_path / "out" / str(version), served, keep=keep)
    return served


def fetched(served: Path, cache: Path) -> BuildOutput:
    """What `switch` has after planning against a URL source (file:// here)."""
    cache.mkdir()
    return remote.remote_output(served.as_uri() + "/", signed=False, cache=cache)


def machine_copies(tmp_path: Path, version: int) -> dict[str, Path]:
    """The running generation as a machine holds it: partitions larger than their images
    (unused room after them), the UKI as a file."""
    held = tmp_path / "machine"
    held.mkdir()
    content = payload(version)
    bases = {}
    for role in ("usr", "usr_verity"):
        bases[role] = held / role
        bases[role].write_bytes(content(role) + b"\xff" * 4096)
    bases["uki"] = held / "uki.efi"
    bases["uki"].write_bytes(content("uki"))
    return bases


def test_publish_adds_small_signed_deltas_from_each_older_generation(tmp_path: Path) -> None:
    served = published(tmp_path, (1, 2))
    result = publish(generation(tmp_path / "out", 3, payload(3)), served)
    deltas = read_deltas(served / deltas_name("img", 3))
    assert sorted(deltas) == [1, 2]
    assert sorted(deltas[2]) == ["uki", "usr", "usr_verity"]
    sums = read_sums(served / "SHA256SUMS")
    for delta in deltas[2].values():
        assert delta.delta in sums and (served / delta.delta).stat().st_size < 2000
        assert delta.bytes == SIZE and delta.base_bytes == SIZE
    assert deltas_name("img", 3) in sums
    assert result.update_bytes > 3 * SIZE  # noise: the whole files stay ~1 MiB each
    assert set(result.delta_bytes) == {1, 2} and max(result.delta_bytes.values()) < 6000
    assert result.to_json()["delta_bytes"] == {"1": result.delta_bytes[1],
                                               "2": result.delta_bytes[2]}


def test_a_generation_dropped_by_keep_is_still_a_base_and_its_own_deltas_go_with_it(
        tmp_path: Path) -> None:
    served = published(tmp_path, (1, 2, 3), keep=1)
    names = set(read_sums(served / "SHA256SUMS"))
    assert {n.split(".")[0] for n in names} == {"img_3"}
    assert sorted(read_deltas(served / deltas_name("img", 3))) == [2]  # 1 was gone by then
    assert not list(served.glob("img_2*")) and not list(served.glob(".publishing.*"))
    assert {p.name for p in served.iterdir()} == names | {"SHA256SUMS"}


def test_a_machine_rebuilds_the_generation_from_what_it_runs(tmp_path: Path) -> None:
    served = published(tmp_path, (1, 2))
    stale = WORK_PARENT / f"{PREFIX}of-a-killed-run"  # a switch killed before cleaning up
    stale.mkdir(exist_ok=True)
    said: list[str] = []
    with rebuilt_from_deltas(fetched(served, tmp_path / "cache"), 1,
                             machine_copies(tmp_path, 1), said.append) as rebuilt:
        assert rebuilt is not None
        files = {p.name: p.read_bytes() for p in rebuilt.directory.iterdir()}
        directory = rebuilt.directory
    two = payload(2)
    # Partitions uncompressed (the local transfers take `.raw`), the UKI as published.
    assert files == {"img_2.usr.aa.raw": two("usr"), "img_2.usr-verity.bb.raw": two("usr_verity"),
                     "img_2.efi": two("uki")}
    assert rebuilt.base == 1 and rebuilt.sizes == [SIZE, SIZE, SIZE]
    assert rebuilt.downloaded < 6000
    assert rebuilt.whole == sum((served / name).stat().st_size for name in (
        "img_2.usr.aa.raw.xz", "img_2.usr-verity.bb.raw.xz", "img_2.efi"))  # as published
    assert said == [f"downloaded generation 2 as deltas from generation 1: "
                    f"{rebuilt.downloaded / 1e6:.1f} MB instead of {rebuilt.whole / 1e6:.1f} MB"]
    assert not directory.exists()  # the rebuilt files go with the context
    assert not stale.exists()
    assert not [*WORK_PARENT.glob(PREFIX + "*"), *MEMORY_PARENT.glob(PREFIX + "*")]


def test_an_artifact_whose_base_differs_is_downloaded_whole_and_says_why(tmp_path: Path) -> None:
    served = published(tmp_path, (1, 2))
    bases = machine_copies(tmp_path, 1)
    bases["usr"].write_bytes(b"\0" * (SIZE + 10))
    said: list[str] = []
    with rebuilt_from_deltas(fetched(served, tmp_path / "cache"), 1, bases, said.append) as rebuilt:
        assert rebuilt is not None
        files = {p.name: p.read_bytes() for p in rebuilt.directory.iterdir()}
    assert files["img_2.usr.aa.raw.xz"] == (served / "img_2.usr.aa.raw.xz").read_bytes()
    assert sorted(files) == ["img_2.efi", "img_2.usr-verity.bb.raw", "img_2.usr.aa.raw.xz"]
    assert said[0] == (f"the usr delta from generation 1 cannot be used ({bases['usr']} is not the "
                       "usr the delta was made against); downloading img_2.usr.aa.raw.xz whole")
    assert said[1].startswith("downloaded generation 2 as deltas from generation 1: ")


def test_no_delta_from_the_running_generation_means_whole_files_silently(tmp_path: Path) -> None:
    served = published(tmp_path, (1, 2))
    said: list[str] = []
    with rebuilt_from_deltas(fetched(served, tmp_path / "cache"), 7,
                             machine_copies(tmp_path, 1), said.append) as rebuilt:
        assert rebuilt is None and said == []


def test_a_delta_changed_after_publishing_is_refused(tmp_path: Path) -> None:
    served = published(tmp_path, (1, 2))
    delta = read_deltas(served / deltas_name("img", 2))[1]["usr"].delta
    (served / delta).write_bytes(b"\x28\xb5\x2f\xfd" + bytes(100))
    with pytest.raises(CorruptArtifactError, match=f"{delta} does not match SHA256SUMS"), \
            rebuilt_from_deltas(fetched(served, tmp_path / "cache"), 1,
                                machine_copies(tmp_path, 1), print):
        pass


def test_no_delta_is_published_where_it_would_not_be_smaller(tmp_path: Path) -> None:
    served = tmp_path / "served"
    for version in (1, 2):  # unrelated noise each time: nothing to share
        generation(tmp_path / "out", version,
                   lambda role, v=version: random.Random(f"{role}{v}").randbytes(SIZE))
        result = publish(tmp_path / "out" / str(version), served)
    assert result.delta_bytes == {}
    assert not (served / deltas_name("img", 2)).exists()
    assert not list(served.glob("*.zst"))
    assert json.loads((served / "img_2.generation.json").read_text())["version"] == 2
    assert lzma.decompress((served / "img_2.usr.aa.raw.xz").read_bytes())[:4]


def test_publish_says_what_a_machine_downloads_with_and_without_deltas(tmp_path: Path) -> None:
    published(tmp_path, (1,))
    generation(tmp_path / "out", 2, payload(2))
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "out" / "2"),
                                       str(tmp_path / "served")])
    assert result.exit_code == 0, result.output
    whole = sum(p.stat().st_size for p in (tmp_path / "out" / "2").iterdir()
                if p.name.startswith("img_2."))
    line = result.output.splitlines()[1]
    assert re.fullmatch(rf"a machine downloads {whole / 1e6:.1f} MB, or with deltas from "
                        r"generation 1 0\.0 MB", line), result.output


def with_verity(version: int, work: Path):
    """Artifacts whose verity image is the real hash tree of the usr image (veritysetup, a
    new salt per generation as each build draws one; padded with zeros as systemd-repart's
    partition image is)."""
    def content(role: str) -> bytes:
        if role != "usr_verity":
            return payload(version)(role)
        data = work / f"usr-{version}"
        data.write_bytes(payload(version)("usr"))
        tree = work / f"verity-{version}"
        subprocess.run(["veritysetup", "format", "--data-block-size=512",
                        "--hash-block-size=512", str(data), str(tree)], check=True,
                       capture_output=True)
        return tree.read_bytes() + bytes(512)
    return content


@pytest.mark.skipif(shutil.which("veritysetup") is None, reason="needs veritysetup "
                    "(cryptsetup-bin; scripts/setup-host installs it)")
def test_the_verity_image_is_remade_from_the_rebuilt_usr_not_downloaded(tmp_path: Path) -> None:
    served, work = tmp_path / "served", tmp_path / "work"
    work.mkdir()
    for version in (1, 2):
        generation(tmp_path / "out", version, with_verity(version, work))
        result = publish(tmp_path / "out" / str(version), served)
    listing = json.loads((served / deltas_name("img", 2)).read_text())
    assert listing["verity"]["data_block_size"] == 512 and listing["verity"]["salt"]
    assert sorted(listing["from"]["1"]) == ["uki", "usr"]  # no verity delta: it is remade
    assert not list(served.glob("*.usr-verity.from-*"))
    usr, uki = (read_deltas(served / deltas_name("img", 2))[1][r].delta for r in ("usr", "uki"))
    assert result.delta_bytes == {1: (served / usr).stat().st_size + (served / uki).stat().st_size}

    bases = machine_copies(tmp_path, 1)
    bases["usr_verity"].write_bytes(with_verity(1, work)("usr_verity"))
    said: list[str] = []
    with rebuilt_from_deltas(fetched(served, tmp_path / "cache"), 1, bases, said.append) as rebuilt:
        assert rebuilt is not None
        remade = (rebuilt.directory / "img_2.usr-verity.bb.raw").read_bytes()
    assert remade == lzma.decompress((served / "img_2.usr-verity.bb.raw.xz").read_bytes())
    assert rebuilt.downloaded == result.delta_bytes[1]
    assert len(said) == 1 and said[0].startswith("downloaded generation 2 as deltas"), said
