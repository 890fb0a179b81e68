"""Binary deltas between published generations, so a machine downloads what changed.

Two builds of one package set make nearly identical /usr images: a `zstd --patch-from`
delta of the uncompressed usr partition against the previous generation's is tens of kB
for a config change, against about 76 MB for the xz'd partition (docs/building.md). So
`publish` adds, for each older generation it keeps, one delta per artifact that has a small
one: `<id>_<n>.<role>.from-<m>.zst`, made against what a machine running generation m holds
(the first bytes of its slot partitions, its UKI on the ESP), and lists them in
`<id>_<n>.deltas.json`, which SHA256SUMS (and so its signature) covers. The file records,
per base and artifact, the size and sha256 of the base and of the rebuilt file, so a machine
checks both before it writes anything. A machine running another generation, or one whose
base does not check out, downloads the whole files as before (delta_install.py).

The verity hash tree differs completely between builds (each build draws its own salt), so
no delta makes it small; but it is a function of the /usr data and a few parameters. The
deltas file therefore carries a `verity` recipe (salt, UUID, block sizes, the size of the
partition image), checked at publish time to remake the published verity image bit for
bit with `veritysetup format`; a machine that rebuilt /usr from a delta remakes the verity
image the same way and checks it against the recorded sha256.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydeclos.build.artifacts import sha256
from pydeclos.switch.errors import SwitchError

DELTAS_SUFFIX = ".deltas.json"
FORMAT = 1
# zstd's long-distance matching over a window as large as a /usr image; the delta is
# decompressed with --patch-from, which sizes its memory from the base.
ZSTD_MAKE = ["zstd", "-q", "-f", "-3", "--long=28"]
WORTH_IT = 0.8  # a delta larger than this share of the whole file is not published
ROLE_FILE_NAMES = {"usr": "usr", "usr_verity": "usr-verity", "uki": "efi"}


def deltas_name(image_id: str, version: int) -> str:
    return f"{image_id}_{version}{DELTAS_SUFFIX}"


def delta_name(image_id: str, version: int, role: str, base: int) -> str:
    return f"{image_id}_{version}.{ROLE_FILE_NAMES[role]}.from-{base}.zst"


def unpacked_name(artifact: str) -> str:
    """The name of an artifact once uncompressed (what a machine's slot or ESP holds)."""
    return artifact.removesuffix(".xz")


@dataclass(frozen=True)
class Delta:
    """How to make one artifact of a generation from a machine's copy of an older one."""

    role: str
    delta: str  # file name of the zstd delta in the update directory
    base_bytes: int  # the base: the first base_bytes of the slot partition, or the UKI
    base_sha256: str
    bytes: int  # the rebuilt (uncompressed) artifact
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"delta": self.delta, "base_bytes": self.base_bytes,
                "base_sha256": self.base_sha256, "bytes": self.bytes, "sha256": self.sha256}


@dataclass(frozen=True)
class VerityRecipe:
    """How to remake a verity hash image from its data, bit for bit (`veritysetup dump`'s
    fields; the image is the hash device padded with zeros to `bytes`)."""

    uuid: str
    hash_type: int
    hash_algorithm: str
    data_blocks: int
    data_block_size: int
    hash_block_size: int
    salt: str
    bytes: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def remake(self, data: Path, target: Path) -> None:
        """The verity image of `data` at `target`; SwitchError when veritysetup fails."""
        target.unlink(missing_ok=True)
        done = subprocess.run(
            ["veritysetup", "format", f"--format={self.hash_type}", f"--hash={self.hash_algorithm}",
             f"--data-block-size={self.data_block_size}",
             f"--hash-block-size={self.hash_block_size}", f"--data-blocks={self.data_blocks}",
             f"--salt={self.salt}", f"--uuid={self.uuid}", str(data), str(target)],
            capture_output=True, text=True)
        if done.returncode != 0:
            raise SwitchError(f"veritysetup could not remake the verity image of {data.name} "
                              f"(status {done.returncode}): {done.stderr.strip()[-500:]}")
        if target.stat().st_size > self.bytes:
            raise SwitchError(f"veritysetup made {target.stat().st_size} bytes, more than the "
                              f"{self.bytes} of the published verity image")
        os.truncate(target, self.bytes)


DUMP_FIELDS = {"UUID": "uuid", "Hash type": "hash_type", "Hash algorithm": "hash_algorithm",
               "Data blocks": "data_blocks", "Data block size": "data_block_size",
               "Hash block size": "hash_block_size", "Salt": "salt"}


def verity_recipe(data: Path, verity: Path, scratch: Path) -> VerityRecipe | None:
    """The recipe that remakes `verity` from `data`, when `veritysetup` is here and remaking
    it gives the same bytes (else None: machines download the verity image)."""
    try:
        dump = subprocess.run(["veritysetup", "dump", str(verity)], capture_output=True,
                              text=True)
    except FileNotFoundError:
        return None
    fields: dict[str, Any] = {}
    for line in dump.stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in DUMP_FIELDS:
            fields[DUMP_FIELDS[key.strip()]] = value.strip()
    if dump.returncode != 0 or len(fields) != len(DUMP_FIELDS):
        return None
    for number in ("hash_type", "data_blocks", "data_block_size", "hash_block_size"):
        fields[number] = int(fields[number])
    recipe = VerityRecipe(**fields, bytes=verity.stat().st_size, sha256=sha256(verity))
    remade = scratch / "verity-remade"
    try:
        recipe.remake(data, remade)
        return recipe if sha256(remade) == recipe.sha256 else None
    except SwitchError:
        return None
    finally:
        remade.unlink(missing_ok=True)


def read_verity_recipe(path: Path) -> VerityRecipe | None:
    try:
        found = json.loads(path.read_text()).get("verity")
        return VerityRecipe(**found) if found else None
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def read_deltas(path: Path) -> dict[int, dict[str, Delta]]:
    """base version -> role -> Delta, from a `<id>_<n>.deltas.json`."""
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            return {}
        return {int(base): {role: Delta(role, str(d["delta"]), int(d["base_bytes"]),
                                        str(d["base_sha256"]), int(d["bytes"]), str(d["sha256"]))
                            for role, d in roles.items() if role in ROLE_FILE_NAMES}
                for base, roles in (data.get("from") or {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SwitchError(f"{path} is not a pydeclos deltas file ({error})") from None


def delta_files(path: Path) -> list[str]:
    """The delta files a deltas file names (for removing a generation with its deltas)."""
    if not path.is_file():
        return []
    return sorted(d.delta for roles in read_deltas(path).values() for d in roles.values())


def unpack(artifact: Path, scratch: Path) -> Path:
    """The artifact as a machine holds it: .xz files decompressed into `scratch`."""
    if artifact.suffix != ".xz":
        return artifact
    target = scratch / unpacked_name(artifact.name)
    if not target.exists():
        with target.open("wb") as out:
            subprocess.run(["xz", "-dc", "-T0", str(artifact)], stdout=out, check=True)
    return target


def make_delta(base: Path, new: Path, target: Path) -> None:
    done = subprocess.run([*ZSTD_MAKE, f"--patch-from={base}", str(new), "-o", str(target)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SwitchError(f"zstd could not make a delta of {new.name} against {base.name} "
                          f"(status {done.returncode}): {done.stderr.strip()[-1000:]}")


def make_deltas(image_id: str, version: int, new: Mapping[str, Path],
                bases: Mapping[int, Mapping[str, Path]], directory: Path,
                temporary_prefix: str,
                unpacked: Mapping[str, Path] | None = None) -> dict[str, Any] | None:
    """Write the deltas of generation `version` (`new`: role -> artifact as published;
    `unpacked`: role -> the same uncompressed, where at hand) against each of `bases`
    (version -> role -> that generation's artifact) into `directory`, under
    `temporary_prefix` + their names; return the deltas file's content (None: no delta is
    worth publishing). The caller renames them into place."""
    if not bases:  # a first publish: nothing to unpack, no recipe to check
        return None
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="pydeclos-deltas-") as work:
        scratch = Path(work)
        unpacked_new = {role: (unpacked or {}).get(role) or unpack(path, scratch)
                        for role, path in new.items()}
        recipe = verity_recipe(unpacked_new["usr"], unpacked_new["usr_verity"], scratch) \
            if {"usr", "usr_verity"} <= set(new) else None
        for base_version, base_files in sorted(bases.items()):
            kept: dict[str, Any] = {}
            for role, path in new.items():
                if role not in base_files or (role == "usr_verity" and recipe is not None):
                    continue
                base = unpack(base_files[role], scratch)
                name = delta_name(image_id, version, role, base_version)
                target = directory / (temporary_prefix + name)
                make_delta(base, unpacked_new[role], target)
                if target.stat().st_size > WORTH_IT * path.stat().st_size:
                    target.unlink()  # no smaller than the whole file: a machine takes that
                    continue
                kept[role] = Delta(role, name, base.stat().st_size, sha256(base),
                                   unpacked_new[role].stat().st_size,
                                   sha256(unpacked_new[role])).to_json()
            for path in scratch.iterdir():  # the next base's files take their room
                if path.name not in {p.name for p in unpacked_new.values()}:
                    path.unlink()
            if kept:
                found[str(base_version)] = kept
    if not found:
        return None
    return {"format": FORMAT, "image_id": image_id, "version": version, "from": found,
            "verity": recipe.to_json() if recipe is not None else None}

