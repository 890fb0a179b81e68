"""xz for the partition images an update directory serves.

`pydeclos build` leaves the /usr (or root) slot and its verity image uncompressed: a boot,
`vm` and `switch --from` read them as they are, and a config-only rebuild does not wait for
xz (it was a third of one). `publish` compresses them for the download, with xz because
trixie's systemd-sysupdate (systemd-import) decompresses xz, gzip and bzip2 but writes a
zstd stream through undecompressed. Preset 0 on all cores: a publish is not slower than
the download it saves.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import IO

from pydeclos.build.space import LOW_WATER, free_bytes, human
from pydeclos.switch.errors import SwitchError

XZ_PRESET = "-0"
BLOCK = 1 << 20


def compress(source: Path, target: Path) -> str:
    """xz `source` into `target`; the SHA-256 of `target`, taken on the way to the disk."""
    digest = hashlib.sha256()
    with source.open("rb") as data, target.open("wb") as sink:
        try:
            xz = subprocess.Popen(["xz", "-T0", XZ_PRESET, "-c"], stdin=data,
                                  stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise SwitchError("publish compresses the partition images with xz, which is not "
                              "installed here: apt install xz-utils") from None
        assert xz.stdout is not None
        _drain(xz.stdout, sink, digest)
        if xz.wait() != 0 or sink.closed:
            if free_bytes(target.parent) < LOW_WATER:
                raise SwitchError(
                    f"{target.parent} ran out of disk space while compressing {source.name} "
                    f"(it needs up to {human(source.stat().st_size)} more); free space there, "
                    "or publish into a directory on a larger disk")
            raise SwitchError(f"xz failed to compress {source} (status {xz.returncode})")
    return digest.hexdigest()


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
