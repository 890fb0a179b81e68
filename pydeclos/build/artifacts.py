"""Turning mkosi's output directory into one generation: names, checksums, manifest.

mkosi writes each split partition at its full slot size, mostly zeros after the file
system or hash tree; the build cuts it after its last non-zero block (sysupdate writes the
file at the start of the slot, and neither erofs nor dm-verity reads past its own recorded
size). The partitions stay uncompressed: `publish` compresses them for a download
(switch/compress.py), and a rebuild does not wait for xz.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.errors import BuildError


@dataclass(frozen=True)
class Artifacts:
    """The files of one generation, by role, relative to its directory."""

    image: str
    usr: str
    usr_verity: str
    uki: str
    kernel: str
    initrd: str
    package_manifest: str | None

    def as_dict(self) -> dict[str, str | None]:
        return dict(self.__dict__)


def _one(directory: Path, pattern: str, what: str) -> Path:
    matches = sorted(directory.glob(pattern))
    if len(matches) != 1:
        names = ", ".join(p.name for p in matches) or "none"
        raise BuildError(
            f"mkosi's output has {len(matches)} {what} files matching {pattern} ({names}); "
            "expected exactly one. Is the tree's layout SplitArtifacts=yes with a usr partition?"
        )
    return matches[0]


BLOCK = 1 << 20


def data_end(path: Path) -> int:
    """The offset just after the last non-zero byte of `path`, rounded up to 4 KiB."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        position = _last_data_segment_end(handle.fileno(), size)
        while position > 0:
            start = max(0, position - BLOCK)
            handle.seek(start)
            chunk = handle.read(position - start).rstrip(b"\0")
            if chunk:
                end = start + len(chunk)
                return min(size, (end + 4095) // 4096 * 4096)
            position = start
    return 0


def _last_data_segment_end(fd: int, size: int) -> int:
    """Where the file's last allocated extent ends (holes read as zeros, so skip them)."""
    end, position = 0, 0
    try:
        while position < size:
            start = os.lseek(fd, position, os.SEEK_DATA)
            end = position = os.lseek(fd, start, os.SEEK_HOLE)
    except OSError:  # ENXIO: no data after `position`; or SEEK_DATA unsupported
        return end if end else size
    return end


def trim(path: Path) -> None:
    """Cut `path` after its last non-zero block: the rest of a slot is zeros that a
    transfer need not carry (sysupdate writes the file at the start of the slot)."""
    os.truncate(path, data_end(path))


def collect(directory: Path, stem: str, digests: dict[str, str] | None = None) -> Artifacts:
    """Find mkosi's artifacts for `<stem>` (= `<ImageId>_<version>`) and trim the partitions;
    with `digests`, the SHA-256 of each update artifact goes there."""
    for link in directory.iterdir():
        if link.is_symlink():  # mkosi's convenience link `<stem>` -> `<stem>.raw`
            link.unlink()
    kind = slot_kind(directory, stem)
    usr = _one(directory, f"{stem}.{kind}.*.raw", f"{kind} partition")
    verity = _one(directory, f"{stem}.{kind}-verity.*.raw", f"{kind} verity partition")
    for partition in (usr, verity):
        trim(partition)
    manifest = directory / f"{stem}.manifest"
    uki = _one(directory, f"{stem}.efi", "unified kernel image")
    kernel = _one(directory, f"{stem}.vmlinuz", "kernel")
    initrd = _one(directory, f"{stem}.initrd", "initrd")
    found = Artifacts(
        image=_one(directory, f"{stem}.raw", "disk image").name,
        usr=usr.name,
        usr_verity=verity.name,
        uki=uki.name,
        kernel=kernel.name,
        initrd=initrd.name,
        package_manifest=manifest.name if manifest.exists() else None,
    )
    if digests is not None:  # hashlib lets go of the GIL: two cores hash two files
        with ThreadPoolExecutor(max_workers=2) as pool:
            hashed = {p.name: pool.submit(sha256, p) for p in (usr, verity, uki, kernel, initrd)}
        digests.update({name: future.result() for name, future in hashed.items()})
    return found


def slot_kind(directory: Path, stem: str) -> str:
    """`usr` or `root`: which partition the A/B slot holds (image.layout), read from the
    split partitions mkosi wrote (`<stem>.root.<uuid>.raw` on layout root)."""
    for kind in ("root", "usr"):
        if any(directory.glob(f"{stem}.{kind}.*.raw")):
            return kind
    return "usr"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sizes(directory: Path, artifacts: Artifacts) -> dict[str, dict[str, int]]:
    """Apparent and allocated bytes of each artifact (the disk image is sparse)."""
    sizes: dict[str, dict[str, int]] = {}
    for role, name in artifacts.as_dict().items():
        if name is None:
            continue
        stat = (directory / name).stat()
        sizes[role] = {"bytes": stat.st_size, "allocated": stat.st_blocks * 512}
    return sizes


def usrhash(uki: Path) -> str | None:
    """The verity root hash of the slot the UKI's command line pins: `usrhash=` (its /usr,
    layout usr) or `roothash=` (its whole root, layout root). `switch` checks the slot it
    installed against it; the manifest keeps the name `usrhash` for both."""
    data = uki.read_bytes()
    match = re.search(rb"(?:usr|root)hash=([0-9a-f]{64})", data)
    return match.group(1).decode() if match else None


def write_checksums(directory: Path, artifacts: Artifacts,
                    digests: dict[str, str] | None = None) -> None:
    """SHA256SUMS over the update artifacts, in the format systemd-sysupdate reads; the
    digests `collect` took on the way are used, the others are computed."""
    known = digests or {}
    names = [artifacts.usr, artifacts.usr_verity, artifacts.uki, artifacts.kernel, artifacts.initrd]
    lines = [f"{known.get(name) or sha256(directory / name)}  {name}\n" for name in sorted(names)]
    (directory / "SHA256SUMS").write_text("".join(lines))


def write_json(path: Path, data: object) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
