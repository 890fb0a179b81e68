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
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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


def compress(path: Path, digests: dict[str, str] | None = None,
             started: Callable[[subprocess.Popen[bytes]], None] | None = None) -> Path:
    """xz the meaningful part of `path` into path.xz and remove `path`; the SHA-256 of the
    .xz goes into `digests` on the way to the disk (SHA256SUMS need not read it again)."""
    target = path.with_name(path.name + ".xz")
    remaining = remaining_total = data_end(path)
    digest = hashlib.sha256()
    with path.open("rb") as source, target.open("wb") as sink:
        xz = subprocess.Popen(["xz", "-T0", XZ_PRESET, "-c"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
        assert xz.stdin is not None and xz.stdout is not None
        if started is not None:
            started(xz)
        writer = threading.Thread(target=_drain, args=(xz.stdout, sink, digest))
        writer.start()
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
            writer.join()
        if xz.wait() != 0 or sink.closed:
            if free_bytes(target.parent) < LOW_WATER:
                raise DiskSpaceError(
                    f"the output directory {target.parent} ran out of disk space while "
                    f"compressing {path.name} (it needs up to {human(remaining_total)} more); "
                    "free space there, or give -o a directory on a larger disk")
            raise BuildError(f"xz failed to compress {path} (status {xz.returncode})")
    path.unlink()
    if digests is not None:
        digests[target.name] = digest.hexdigest()
    return target


def _drain(stream: IO[bytes], sink: IO[bytes], digest: hashlib._Hash) -> None:
    """xz's output into `sink` and `digest`; a failed write (a full disk) closes both ends,
    so that xz stops on a broken pipe."""
    try:
        for block in iter(lambda: stream.read(BLOCK), b""):
            sink.write(block)
            digest.update(block)
        sink.flush()
    except OSError:
        sink.close()
    finally:
        stream.close()


def collect(directory: Path, stem: str, digests: dict[str, str] | None = None) -> Artifacts:
    """Find mkosi's artifacts for `<stem>` (= `<ImageId>_<version>`), compress the partitions;
    with `digests`, the SHA-256 of each update artifact goes there (the UKI, kernel and
    initrd are hashed while xz runs)."""
    for link in directory.iterdir():
        if link.is_symlink():  # mkosi's convenience link `<stem>` -> `<stem>.raw`
            link.unlink()
    kind = slot_kind(directory, stem)
    usr = _compressed(directory, f"{stem}.{kind}.*.raw", f"{kind} partition", digests)
    verity = _compressed(directory, f"{stem}.{kind}-verity.*.raw", f"{kind} verity partition",
                         digests)
    manifest = directory / f"{stem}.manifest"
    uki = _one(directory, f"{stem}.efi", "unified kernel image")
    kernel = _one(directory, f"{stem}.vmlinuz", "kernel")
    initrd = _one(directory, f"{stem}.initrd", "initrd")
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashed = {p.name: pool.submit(sha256, p) for p in (uki, kernel, initrd)
                  if digests is not None}
        found = Artifacts(
            image=_one(directory, f"{stem}.raw", "disk image").name,
            usr=usr.name,
            usr_verity=verity.name,
            uki=uki.name,
            kernel=kernel.name,
            initrd=initrd.name,
            package_manifest=manifest.name if manifest.exists() else None,
        )
    if digests is not None:
        digests.update({name: future.result() for name, future in hashed.items()})
    return found


def slot_kind(directory: Path, stem: str) -> str:
    """`usr` or `root`: which partition the A/B slot holds (image.layout), read from the
    split partitions mkosi wrote (`<stem>.root.<uuid>.raw` on layout root)."""
    for kind in ("root", "usr"):
        if any(directory.glob(f"{stem}.{kind}.*.raw*")):
            return kind
    return "usr"


def _compressed(directory: Path, pattern: str, what: str,
                digests: dict[str, str] | None) -> Path:
    """The .xz of a partition: compressed now, or already (see early_compress.py)."""
    if not any(directory.glob(pattern)) and any(directory.glob(pattern + ".xz")):
        return _one(directory, pattern + ".xz", what)
    return compress(_one(directory, pattern, what), digests)


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
