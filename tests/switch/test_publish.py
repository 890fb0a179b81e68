"""`pydeclos publish`: an update directory of the names the transfers match, checksummed,
signed with real gpg, atomic for readers, trimmed to --keep, never changing a version."""

from __future__ import annotations

import lzma
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.build.artifacts import sha256
from pydeclos.cli import main
from pydeclos.switch.errors import CorruptArtifactError
from pydeclos.switch.publish import PublishError, publish, published_name
from pydeclos.switch.source import open_output, read_sums, verify
from tests.switch.builds import SwitchBuilds
from tests.switch.keys import signing_key
from tests.switch.test_source import generation


@pytest.fixture
def gpg_key(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with signing_key(tmp_path) as key:
        yield key


def gpgv(public: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["gpgv", "--keyring", str(public), str(directory / "SHA256SUMS.gpg"),
                           str(directory / "SHA256SUMS")], capture_output=True, text=True)


def assert_consistent(directory: Path) -> dict[str, str]:
    """Every file SHA256SUMS lists is present with that content (what a reader relies on)."""
    sums = read_sums(directory / "SHA256SUMS")
    for name, digest in sums.items():
        assert sha256(directory / name) == digest, name
    return sums


def test_publish_lists_and_signs_what_the_transfers_match(tmp_path: Path,
                                                          gpg_key: tuple[str, Path]) -> None:
    uid, public = gpg_key
    generation(tmp_path / "out", 3)
    served = tmp_path / "served"
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "out"), str(served),
                                       "--sign-key", uid])
    assert result.exit_code == 0, result.output
    assert "generation 3 published" in result.output
    sums = assert_consistent(served)
    assert sorted(sums) == ["img_3.efi", "img_3.generation.json", "img_3.usr-verity.bb.raw.xz",
                            "img_3.usr.aa.raw.xz"]
    assert gpgv(public, served).returncode == 0
    published = open_output(served)  # `switch --from` and a path source read it as a build
    assert published.version == 3
    verify(published)
    # The build leaves the partitions uncompressed; the update directory serves them as xz,
    # and its manifest names and sizes those files.
    for role in ("usr", "usr_verity"):
        built, served_file = open_output(tmp_path / "out").artifact(role), published.artifact(role)
        assert built is not None and served_file is not None
        assert served_file.name == built.name + ".xz"
        assert lzma.decompress(served_file.read_bytes()) == built.read_bytes()
        assert published.size_of(role) == served_file.stat().st_size


def test_a_signature_from_another_key_or_altered_sums_fails_verification(
        tmp_path: Path, gpg_key: tuple[str, Path]) -> None:
    uid, public = gpg_key
    generation(tmp_path / "out", 3)
    publish(tmp_path / "out", tmp_path / "served", sign_key=uid)
    sums = tmp_path / "served" / "SHA256SUMS"
    sums.write_text(sums.read_text().replace("img_3.efi", "img_3.efi.evil"))
    assert gpgv(public, tmp_path / "served").returncode != 0


def test_keep_trims_old_generations_after_the_new_set_is_in_place(tmp_path: Path) -> None:
    for version in (1, 2, 3):
        generation(tmp_path / "out", version)
        publish(tmp_path / "out" / str(version), tmp_path / "served", keep=2)
    sums = assert_consistent(tmp_path / "served")
    assert {name.split(".")[0] for name in sums} == {"img_2", "img_3"}
    assert not list((tmp_path / "served").glob("img_1*"))
    assert open_output(tmp_path / "served").version == 3
    assert open_output(tmp_path / "served", version=2).version == 2


def test_publish_json_says_what_a_machine_will_download(tmp_path: Path) -> None:
    import json

    generation(tmp_path / "out", 3)
    runner = CliRunner()
    args = ["publish", str(tmp_path / "out"), str(tmp_path / "served"), "--json"]
    first = json.loads(runner.invoke(main, args).output)
    served = open_output(tmp_path / "served")  # the partitions as published: xz
    assert first == {
        "directory": str(tmp_path / "served"), "image_id": "img", "version": 3,
        "already_published": False, "signed": False, "removed": [], "generations": [3],
        "delta_bytes": {},  # nothing older published: no delta
        "update_bytes": sum((served.artifact(r) or Path()).stat().st_size
                            for r in ("usr", "usr_verity", "uki")),
    }
    again = json.loads(runner.invoke(main, args).output)
    assert again["already_published"] is True


def test_republishing_the_same_generation_changes_nothing(tmp_path: Path) -> None:
    generation(tmp_path / "out", 3)
    publish(tmp_path / "out", tmp_path / "served")
    before = (tmp_path / "served" / "SHA256SUMS").read_text()
    assert publish(tmp_path / "out", tmp_path / "served").already
    assert (tmp_path / "served" / "SHA256SUMS").read_text() == before


def test_a_published_version_with_other_content_is_refused(tmp_path: Path) -> None:
    generation(tmp_path / "a", 3)
    publish(tmp_path / "a", tmp_path / "served")
    before = {p.name: p.read_bytes() for p in (tmp_path / "served").iterdir()}
    other = generation(tmp_path / "b", 3)
    (other / "img_3.efi").write_bytes(b"rebuilt")
    (other / "SHA256SUMS").write_text("".join(
        f"{sha256(other / n)}  {n}\n" for n in read_sums(other / "SHA256SUMS")))
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "b"), str(tmp_path / "served")])
    assert result.exit_code != 0
    assert "already publishes img generation 3 with other content (img_3.efi differ)" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "served").iterdir()} == before


def test_a_damaged_build_output_is_not_published(tmp_path: Path) -> None:
    gen = generation(tmp_path / "out", 3)
    (gen / "img_3.efi").write_bytes(b"bit rot")
    with pytest.raises(CorruptArtifactError):
        publish(gen, tmp_path / "served")
    assert not (tmp_path / "served" / "SHA256SUMS").exists()


def test_an_unknown_sign_key_publishes_nothing(tmp_path: Path, gpg_key: tuple[str, Path]) -> None:
    generation(tmp_path / "out", 3)
    with pytest.raises(PublishError, match="gpg has no secret key 'nobody@example.org'"):
        publish(tmp_path / "out", tmp_path / "served", sign_key="nobody@example.org")
    assert not (tmp_path / "served").exists()


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_real_generations_publish_and_an_interrupted_publish_keeps_the_previous_set(
        switch_builds: SwitchBuilds, tmp_path: Path, gpg_key: tuple[str, Path]) -> None:
    uid, public = gpg_key
    served = tmp_path / "served"
    publish(switch_builds.v1, served, sign_key=uid)
    before = {name: (served / name).read_bytes() for name in ("SHA256SUMS", "SHA256SUMS.gpg")}
    process = subprocess.Popen([sys.executable, "-m", "pydeclos", "publish", str(switch_builds.v2),
                                str(served), "--sign-key", uid, "--keep", "1"])
    deadline = time.monotonic() + 120
    while not list(served.glob(".publishing.*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert {name: (served / name).read_bytes() for name in before} == before
    assert_consistent(served)
    assert gpgv(public, served).returncode == 0
    assert open_output(served).version == 1

    publish(switch_builds.v2, served, sign_key=uid, keep=1)  # the retry completes
    assert not list(served.glob(".publishing.*"))
    sums = assert_consistent(served)
    assert gpgv(public, served).returncode == 0
    two = open_output(served)
    verify(two)
    assert two.version == 2
    for role in ("usr", "usr_verity", "uki"):  # under the names the transfers match
        name = two.manifest["artifacts"][role]
        assert name in sums and name.startswith("swtest_2.")
    assert not [name for name in sums if name.startswith("swtest_1")]


def test_files_of_an_interrupted_publish_are_not_listed_by_the_next(tmp_path: Path) -> None:
    generation(tmp_path / "out", 2)
    publish(tmp_path / "out" / "2", tmp_path / "served")
    orphan = generation(tmp_path / "out", 4)  # killed before its manifest was placed
    for name in ("img_4.usr.aa.raw", "img_4.efi"):
        (tmp_path / "served" / published_name("usr", name)).write_bytes((orphan / name).read_bytes())
    generation(tmp_path / "out", 3)
    publish(tmp_path / "out" / "3", tmp_path / "served")
    sums = assert_consistent(tmp_path / "served")
    assert not [name for name in sums if name.startswith("img_4")]
    assert open_output(tmp_path / "served").version == 3
