"""SOURCE of a switch or one side of a diff: a `pydeclos build` output, `OUT/` or `OUT/<n>/`.

A generation directory holds generation.json (written last by the build, so its presence
means the build finished), SHA256SUMS over the update artifacts, and mkosi's package
manifest. `verify` re-hashes the artifacts, so a corrupted copy is refused before anything
is written to the machine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydeclos.build.artifacts import sha256
from pydeclos.switch.description import Description, kernel_release_of
from pydeclos.switch.errors import CorruptArtifactError, NotABuildOutputError

MANIFEST = "generation.json"
CHECKSUMS = "SHA256SUMS"
SYSTEM_MANIFEST = "generation.json"  # the lowering's manifest, under "system" in MANIFEST
UPDATE_ROLES = ("usr", "usr_verity", "uki")
PUBLISHED_SUFFIX = ".generation.json"  # `<id>_<n>.generation.json` in an update directory
PUBLISHED = re.compile(r"^(?P<id>.+)_(?P<version>\d+)\.generation\.json$")


@dataclass(frozen=True)
class BuildOutput:
    """One generation directory of a build output."""

    directory: Path
    manifest: dict[str, Any]
    manifest_name: str = MANIFEST  # `<id>_<n>.generation.json` in a published directory
    remote: str | None = None  # the URL the artifacts come from (only metadata is local)

    @property
    def version(self) -> int:
        return int(self.manifest["version"])

    @property
    def image_id(self) -> str:
        return str(self.manifest["image_id"])

    def artifact(self, role: str) -> Path | None:
        name = (self.manifest.get("artifacts") or {}).get(role)
        return self.directory / name if name else None

    def size_of(self, role: str) -> int:
        """The artifact's size in bytes as the build recorded it (0 when unknown)."""
        return int(((self.manifest.get("sizes") or {}).get(role) or {}).get("bytes") or 0)

    def packages(self) -> dict[str, str] | None:
        path = self.artifact("package_manifest")
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
        except ValueError:
            return None
        return {str(p["name"]): str(p["version"]) for p in data.get("packages") or []
                if "name" in p and "version" in p}

    def describe(self) -> Description:
        packages = self.packages()
        system = (self.manifest.get("system") or {}).get(SYSTEM_MANIFEST) or {}
        return Description(
            image_id=self.image_id,
            version=self.version,
            where=self.remote or str(self.directory),
            system=dict(system),
            packages=packages,
            kernel_release=kernel_release_of(packages) if packages else None,
            usrhash=self.manifest.get("usrhash"),
        )


def read_sums(path: Path) -> dict[str, str]:
    """name -> sha256 from a SHA256SUMS file (empty when there is none)."""
    sums: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            digest, _, name = line.partition("  ")
            if name:
                sums[name.strip().lstrip("*")] = digest.strip()
    return sums


def _versions(directory: Path) -> list[int]:
    return sorted(int(p.name) for p in directory.iterdir()
                  if p.name.isdigit() and (p / MANIFEST).is_file())


def _published(source: Path, version: int | None) -> tuple[Path, str] | None:
    """The newest (or `version`) generation of a `pydeclos publish` directory, if it is one."""
    found = sorted((int(m["version"]), p.name) for p in source.glob(f"*{PUBLISHED_SUFFIX}")
                   if (m := PUBLISHED.match(p.name)))
    if not found or not (source / CHECKSUMS).is_file():
        return None
    listed = {name for name in read_sums(source / CHECKSUMS)}
    found = [(v, name) for v, name in found if name in listed]  # being published or removed
    if version is not None:
        found = [(v, name) for v, name in found if v == version]
    if not found:
        raise NotABuildOutputError(
            f"{source} is an update directory without generation {version}"
            if version is not None else f"{source} is an update directory publishing nothing")
    return source, found[-1][1]


def open_output(source: Path, version: int | None = None) -> BuildOutput:
    """The generation in `source` (`OUT/<n>/`), or the newest (or `version`) in `OUT/` or in
    an update directory written by `pydeclos publish`."""
    if not source.is_dir():
        raise NotABuildOutputError(
            f"{source} is not a directory; give the output directory of `pydeclos build` "
            "(OUT/ or OUT/<n>/), copied to or mounted on this machine")
    directory = source
    manifest_name = MANIFEST
    published = None if (source / MANIFEST).is_file() else _published(source, version)
    if published is not None:
        directory, manifest_name = published
    elif not (source / MANIFEST).is_file():
        versions = _versions(source)
        if not versions:
            raise NotABuildOutputError(
                f"{source} holds no build output: neither {source / MANIFEST} nor "
                f"generation directories ({source}/<n>/{MANIFEST}). Give the directory "
                "`pydeclos build -o OUT` wrote (OUT/ or OUT/<n>/)")
        if version is not None and version not in versions:
            raise NotABuildOutputError(
                f"{source} has no generation {version} (it has {', '.join(map(str, versions))})")
        directory = source / str(version if version is not None else versions[-1])
    try:
        manifest = json.loads((directory / manifest_name).read_text())
        int(manifest["version"]), str(manifest["image_id"])
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise NotABuildOutputError(
            f"{directory / manifest_name} is not a pydeclos generation manifest ({error}); "
            "rebuild that generation with `pydeclos build`") from None
    output = BuildOutput(directory, manifest, manifest_name)
    for role in UPDATE_ROLES:
        path = output.artifact(role)
        if path is None or not path.is_file():
            raise NotABuildOutputError(
                f"{directory} lacks its {role} artifact ({path or 'not named in ' + MANIFEST}); "
                "copy the whole generation directory, not single files")
    return output


def verify(output: BuildOutput, roles: tuple[str, ...] = UPDATE_ROLES) -> None:
    """Check the artifacts a switch installs against SHA256SUMS; refuse any mismatch."""
    sums_path = output.directory / CHECKSUMS
    if not sums_path.is_file():
        raise CorruptArtifactError(f"{sums_path} is missing; copy the whole generation directory")
    sums = read_sums(sums_path)
    for role in roles:
        path = output.artifact(role)
        assert path is not None  # open_output checked it
        expected = sums.get(path.name)
        if expected is None:
            raise CorruptArtifactError(f"{sums_path} does not list {path.name}")
        actual = sha256(path)
        if actual != expected:
            raise CorruptArtifactError(
                f"{path} does not match {sums_path} (sha256 {actual[:16]}…, expected "
                f"{expected[:16]}…): the copy is damaged or was changed. Copy it again from "
                "the build machine; nothing was installed")
