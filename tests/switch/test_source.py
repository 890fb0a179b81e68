"""SOURCE that is not a build output, or whose artifacts were damaged, is refused clearly."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.switch.errors import CorruptArtifactError, NotABuildOutputError
from pydeclos.switch.source import open_output, verify


def generation(directory: Path, version: int = 3,
               content: Callable[[str], bytes] = lambda role: role.encode() * 100) -> Path:
    """A generation directory in the layout `pydeclos build` writes, with small artifacts
    (`content` of each role; the partitions uncompressed, as the build leaves them)."""
    gen = directory / str(version)
    gen.mkdir(parents=True)
    names = {"usr": f"img_{version}.usr.aa.raw", "usr_verity": f"img_{version}.usr-verity.bb.raw",
             "uki": f"img_{version}.efi"}
    sums = []
    for role, name in names.items():
        data = content(role)
        (gen / name).write_bytes(data)
        sums.append(f"{hashlib.sha256((gen / name).read_bytes()).hexdigest()}  {name}\n")
    (gen / "SHA256SUMS").write_text("".join(sums))
    (gen / "generation.json").write_text(json.dumps(
        {"version": version, "image_id": "img", "artifacts": names, "system": {},
         "sizes": {role: {"bytes": (gen / name).stat().st_size} for role, name in names.items()}}))
    return gen


def test_newest_generation_is_picked(tmp_path: Path) -> None:
    generation(tmp_path, 3)
    generation(tmp_path, 12)
    (tmp_path / ".staging-13-x").mkdir()  # an unfinished build is not a generation
    assert open_output(tmp_path).version == 12


def test_a_directory_without_build_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    with pytest.raises(NotABuildOutputError, match="holds no build output"):
        open_output(tmp_path)
    result = CliRunner().invoke(main, ["diff", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 1 and "pydeclos build -o OUT" in result.output
    assert "Traceback" not in result.output


def test_a_missing_artifact_is_named(tmp_path: Path) -> None:
    gen = generation(tmp_path)
    (gen / "img_3.efi").unlink()
    with pytest.raises(NotABuildOutputError, match="lacks its uki artifact"):
        open_output(gen)


def test_a_damaged_artifact_is_refused_before_anything_is_installed(tmp_path: Path) -> None:
    gen = generation(tmp_path)
    output = open_output(gen)
    verify(output)
    with (gen / "img_3.usr.aa.raw").open("r+b") as handle:
        handle.write(b"X")
    with pytest.raises(CorruptArtifactError, match="does not match .*SHA256SUMS.*nothing was installed"):
        verify(output)


def test_a_manifest_that_is_not_json_is_refused(tmp_path: Path) -> None:
    gen = generation(tmp_path)
    (gen / "generation.json").write_text("{")
    with pytest.raises(NotABuildOutputError, match="not a pydeclos generation manifest"):
        open_output(gen)
