"""Turning mkosi's output directory into one generation: names, compression, manifest.

The split /usr and verity partitions are compressed with xz because trixie's
systemd-sysupdate (systemd-import) decompresses xz, gzip and bzip2 but writes a zstd
stream through undecompressed. xz at preset 0 with all cores keeps the rebuild fast; the
partition files are sparse 1 GiB files that are mostly zeros.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.errors import BuildError

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


def compress(path: Path) -> Path:
    """xz `path` in place (path.xz replaces it)."""
    subprocess.run(["xz", "-T0", XZ_PRESET, "--force", str(path)], check=True)
    return path.with_name(path.name + ".xz")


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
