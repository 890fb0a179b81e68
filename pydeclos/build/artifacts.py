"""Turning mkosi's output directory into one generation: names, compression, manifest.

The split /usr and verity partitions are compressed with xz because trixie's
systemd-sysupdate (systemd-import) decompresses xz, gzip and bzip2 but writes a zstd
stream through undecompressed. mkosi writes each partition at its full slot size, mostly
zeros after the filesystem or hash tree; only the part up to the last non-zero block is
compressed (sysupdate writes the stream at the start of the slot, and neither erofs nor
dm-verity reads past its own recorded size), which halves the time xz takes. xz at
preset 0 on all cores keeps a rebuild fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.errors import BuildError
from pydeclos.build.space import LOW_WATER, DiskSpaceError, free_bytes, human

XZ_PRESET = "-0"


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


def compress(path: Path) -> Path:
    """xz the meaningful part of `path` into path.xz and remove `path`."""
    target = path.with_name(path.name + ".xz")
    remaining = remaining_total = data_end(path)
    with path.open("rb") as source, target.open("wb") as sink:
        xz = subprocess.Popen(["xz", "-T0", XZ_PRESET, "-c"], stdin=subprocess.PIPE, stdout=sink)
        assert xz.stdin is not None
        try:
            while remaining > 0:
                chunk = source.read(min(BLOCK, remaining))
                if not chunk:
                    break
                try:
                    xz.stdin.write(chunk)
                except BrokenPipeError:  # xz has stopped: its status says why
                    break
                remaining -= len(chunk)
        finally:
            with contextlib.suppress(BrokenPipeError):
                xz.stdin.close()
        if xz.wait() != 0:
            if free_bytes(target.parent) < LOW_WATER:
                raise DiskSpaceError(
                    f"the output directory {target.parent} ran out of disk space while "
                    f"compressing {path.name} (it needs up to {human(remaining_total)} more); "
                    "free space there, or give -o a directory on a larger disk")
            raise BuildError(f"xz failed to compress {path} (status {xz.returncode})")
    path.unlink()
    return target


def collect(directory: Path, stem: str) -> Artifacts:
    """Find mkosi's artifacts for `<stem>` (= `<ImageId>_<version>`), compress the partitions."""
    for link in directory.iterdir():
        if link.is_symlink():  # mkosi's convenience link `<stem>` -> `<stem>.raw`
            link.unlink()
    usr = _one(directory, f"{stem}.usr.*.raw", "usr partition")
    verity = _one(directory, f"{stem}.usr-verity.*.raw", "usr verity partition")
    manifest = directory / f"{stem}.manifest"
    return Artifacts(
        image=_one(directory, f"{stem}.raw", "disk image").name,
        usr=compress(usr).name,
        usr_verity=compress(verity).name,
        uki=_one(directory, f"{stem}.efi", "unified kernel image").name,
        kernel=_one(directory, f"{stem}.vmlinuz", "kernel").name,
        initrd=_one(directory, f"{stem}.initrd", "initrd").name,
        package_manifest=manifest.name if manifest.exists() else None,
    )


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
    """The `usrhash=` the UKI's command line pins (the verity root hash of its /usr)."""
    data = uki.read_bytes()
    match = re.search(rb"usrhash=([0-9a-f]{64})", data)
    return match.group(1).decode() if match else None


def write_checksums(directory: Path, artifacts: Artifacts) -> None:
    """SHA256SUMS over the update artifacts, in the format systemd-sysupdate reads."""
    names = [artifacts.usr, artifacts.usr_verity, artifacts.uki, artifacts.kernel, artifacts.initrd]
    lines = [f"{sha256(directory / name)}  {name}\n" for name in sorted(names)]
    (directory / "SHA256SUMS").write_text("".join(lines))


def write_json(path: Path, data: object) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
