"""A machine's side of deltas (delta.py): rebuild a generation from the running one.

For a URL source whose SHA256SUMS lists `<id>_<n>.deltas.json` with deltas from the running
generation, `switch` downloads those deltas (and the whole files of artifacts that have
none) into a directory under /var/tmp, takes each base from what the machine runs (the first
bytes of its slot partitions, its UKI on the ESP; zstd wants a file, so the bytes are copied,
to /dev/shm when it has room), rebuilds the artifacts with `zstd -d --patch-from`, remakes
the verity image from the rebuilt /usr by the deltas file's recipe (`veritysetup format`),
and installs them with the local transfers, as `switch --from` does.

Trust is the whole-file path's: the deltas file and every download are checked against the
signed SHA256SUMS (a mismatch refuses the update), each base and each rebuilt file against
the sizes and sha256 in the deltas file, and the slot's root hash against the build's after
the install (switch.py). Where deltas cannot be used (no zstd, too little room) it says why
and the whole files are downloaded by systemd-sysupdate instead; an artifact whose base
differs from what the delta was made against is downloaded whole here.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.artifacts import sha256
from pydeclos.switch import machine, remote
from pydeclos.switch.delta import (
    Delta,
    VerityRecipe,
    deltas_name,
    read_deltas,
    read_verity_recipe,
    unpacked_name,
)
from pydeclos.switch.errors import CorruptArtifactError, SwitchError
from pydeclos.switch.source import CHECKSUMS, UPDATE_ROLES, BuildOutput, read_sums

WORK_PARENT = Path("/var/tmp")
# zstd reads its base from a regular file: a copy of the slot's first bytes, in memory when
# there is room (a root file system may hold the rebuilt files but not the copy too).
MEMORY_PARENT = Path("/dev/shm")
HEADROOM = 64 * 2**20  # bytes left free beside the rebuilt files
PREFIX = "pydeclos-delta-"


class Unusable(Exception):
    """A delta cannot be used here; the whole files are downloaded instead."""


@dataclass
class Rebuilt:
    """A generation's artifacts rebuilt in `directory`, ready for the local transfers."""

    directory: Path
    base: int  # the generation the deltas were made against
    downloaded: int  # bytes downloaded: deltas and whole files
    whole: int  # bytes the whole files would have been
    sizes: list[int]  # the files' sizes in the order sysupdate installs them (UPDATE_ROLES)

    def to_json(self) -> dict[str, int]:
        return {"from": self.base, "downloaded_bytes": self.downloaded,
                "whole_bytes": self.whole}


Bases = dict[str, Path]  # role -> the running generation's copy: a partition or the UKI


def running_bases(disk: str, image_id: str, version: int) -> Bases:
    """Where the running generation's artifacts are on this machine."""
    bases: Bases = {}
    slot = machine.slots(disk, image_id).get(version)
    if slot is not None:
        bases["usr"], bases["usr_verity"] = Path(slot.data.node), Path(slot.hash.node)
    for entry in machine.boot_entries(image_id):
        if entry.version == version:
            bases["uki"] = entry.path
    return bases


def copy_base(source: Path, size: int, target: Path) -> None:
    """The first `size` bytes of `source` (a partition holds its image, then unused room)."""
    left = size
    with source.open("rb") as reader, target.open("wb") as writer:
        while left > 0:
            block = reader.read(min(left, 1 << 20))
            if not block:
                raise Unusable(f"{source} holds fewer than {size} bytes")
            writer.write(block)
            left -= len(block)


def _download(base_url: str, name: str, target: Path, sums: dict[str, str]) -> int:
    remote.fetch(urllib.parse.urljoin(base_url, name), target)
    if name not in sums or sha256(target) != sums[name]:
        raise CorruptArtifactError(f"{base_url}{name} does not match {CHECKSUMS}; the server "
                                   "serves a damaged or changed file. Nothing was installed")
    return target.stat().st_size


def _rebuild(delta: Delta, base: Path, patch: Path, target: Path, copies: Path) -> None:
    copied = copies / "base"
    copy_base(base, delta.base_bytes, copied)
    try:
        if sha256(copied) != delta.base_sha256:
            raise Unusable(f"{base} is not the {delta.role} the delta was made against")
        done = subprocess.run(["zstd", "-q", "-d", "-f", f"--patch-from={copied}",
                               str(patch), "-o", str(target)], capture_output=True, text=True)
    finally:
        copied.unlink(missing_ok=True)
        patch.unlink()
    if done.returncode != 0:
        raise Unusable(f"zstd could not apply {delta.delta}: {done.stderr.strip()[-500:]}")
    if target.stat().st_size != delta.bytes or sha256(target) != delta.sha256:
        raise CorruptArtifactError(f"{target.name} rebuilt from {delta.delta} does not match its "
                                   "checksum in the signed deltas file. Nothing was installed")


def _remake_verity(recipe: VerityRecipe, usr: Path, target: Path) -> None:
    """The verity image from the rebuilt /usr (its tree depends only on the data and the
    recipe's salt and sizes), checked against the published image's sha256."""
    if shutil.which("veritysetup") is None:
        raise Unusable("veritysetup is not installed")
    try:
        recipe.remake(usr, target)
    except SwitchError as error:
        raise Unusable(str(error)) from None
    if sha256(target) != recipe.sha256:
        raise CorruptArtifactError(f"{target.name} remade from the rebuilt /usr does not match "
                                   "its checksum in the signed deltas file. Nothing was installed")


def _room_needed(output: BuildOutput, deltas: dict[str, Delta]) -> int:
    """Bytes the rebuilt and downloaded files take (the base copy apart)."""
    whole = sum(output.size_of(role) for role in UPDATE_ROLES if role not in deltas)
    return whole + sum(d.bytes for d in deltas.values()) + HEADROOM


def _free(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


@contextmanager
def rebuilt_from_deltas(output: BuildOutput, running: int, bases: Bases,
                        say: Callable[[str], None]) -> Iterator[Rebuilt | None]:
    """The target generation of a URL source rebuilt from deltas against generation
    `running`, in a directory that lasts as long as the context; None (having said why,
    when deltas exist) when the whole files must be downloaded."""
    assert output.remote is not None
    base_url = output.remote.rstrip("/") + "/"
    sums = read_sums(output.directory / CHECKSUMS)
    listing = deltas_name(output.image_id, output.version)
    if listing not in sums:
        yield None
        return
    _download(base_url, listing, output.directory / listing, sums)
    deltas = {role: d for role, d in read_deltas(output.directory / listing).get(running, {})
              .items() if role in bases}
    recipe = read_verity_recipe(output.directory / listing) if "usr" in deltas else None
    if not deltas:
        yield None
        return
    if shutil.which("zstd") is None:
        say("zstd is not installed, so the deltas cannot be used; downloading whole files")
        yield None
        return
    for stale in [*WORK_PARENT.glob(PREFIX + "*"), *MEMORY_PARENT.glob(PREFIX + "*")]:
        shutil.rmtree(stale, ignore_errors=True)  # of a run that was killed (switch's lock is held)
    room, needed = _free(WORK_PARENT), _room_needed(output, deltas)
    base_copy = max(d.base_bytes for d in deltas.values()) + HEADROOM
    in_memory = _free(MEMORY_PARENT) >= base_copy
    if room < needed + (0 if in_memory else base_copy):
        copy = "" if in_memory else (f", and {base_copy / 1e6:.0f} MB for a copy of the base, "
                                     f"which {MEMORY_PARENT} has no room for")
        say(f"{WORK_PARENT} has {room / 1e6:.0f} MB free, too little to rebuild generation "
            f"{output.version} from deltas ({needed / 1e6:.0f} MB{copy}); downloading whole files")
        yield None
        return
    artifacts = output.manifest.get("artifacts") or {}
    whole = sum(output.size_of(role) for role in UPDATE_ROLES)
    with tempfile.TemporaryDirectory(prefix=PREFIX, dir=WORK_PARENT) as work, \
            tempfile.TemporaryDirectory(prefix=PREFIX,
                                        dir=MEMORY_PARENT if in_memory else work) as copies:
        directory = Path(work) / "generation"
        scratch = Path(work) / "scratch"
        directory.mkdir()
        scratch.mkdir()
        downloaded, used = 0, 0
        placed: list[Path] = []
        for role in UPDATE_ROLES:
            name = str(artifacts[role])
            if role == "usr_verity" and recipe is not None and placed[0].suffix == ".raw":
                try:
                    _remake_verity(recipe, placed[0], directory / unpacked_name(name))
                    placed.append(directory / unpacked_name(name))
                    continue
                except Unusable as why:
                    (directory / unpacked_name(name)).unlink(missing_ok=True)
                    say(f"the verity image cannot be remade here ({why}); downloading "
                        f"{name} whole")
            if role in deltas:
                patch = scratch / deltas[role].delta
                downloaded += _download(base_url, deltas[role].delta, patch, sums)
                try:
                    _rebuild(deltas[role], bases[role], patch, directory / unpacked_name(name),
                             Path(copies))
                    placed.append(directory / unpacked_name(name))
                    used += 1
                    continue
                except Unusable as why:
                    (directory / unpacked_name(name)).unlink(missing_ok=True)
                    say(f"the {role} delta from generation {running} cannot be used ({why}); "
                        f"downloading {name} whole")
            placed.append(directory / name)
            downloaded += _download(base_url, name, placed[-1], sums)
        say(f"downloaded generation {output.version} as deltas from generation {running}: "
            f"{downloaded / 1e6:.1f} MB instead of {whole / 1e6:.1f} MB" if used else
            f"downloaded generation {output.version} whole, no delta applying: "
            f"{downloaded / 1e6:.1f} MB")
        yield Rebuilt(directory, running, downloaded, whole, [p.stat().st_size for p in placed])
