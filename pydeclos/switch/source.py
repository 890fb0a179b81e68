"""SOURCE of a switch or one side of a diff: a `pydeclos build` output, `OUT/` or `OUT/<n>/`.

A generation directory holds generation.json (written last by the build, so its presence
means the build finished), SHA256SUMS over the update artifacts, and mkosi's package
manifest. `verify` re-hashes the artifacts, so a corrupted copy is refused before anything
is written to the machine.
"""

from __future__ import annotations

import json
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


@dataclass(frozen=True)
class BuildOutput:
    """One generation directory of a build output."""

    directory: Path
    manifest: dict[str, Any]

    @property
    def version(self) -> int:
        return int(self.manifest["version"])

    @property
    def image_id(self) -> str:
        return str(self.manifest["image_id"])

    def artifact(self, role: str) -> Path | None:
        name = (self.manifest.get("artifacts") or {}).get(role)
        return self.directory / name if name else None

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
            where=str(self.directory),
            system=dict(system),
            packages=packages,
            kernel_release=kernel_release_of(packages) if packages else None,
            usrhash=self.manifest.get("usrhash"),
        )


def _versions(directory: Path) -> list[int]:
    return sorted(int(p.name) for p in directory.iterdir()
                  if p.name.isdigit() and (p / MANIFEST).is_file())


def open_output(source: Path, version: int | None = None) -> BuildOutput:
    """The generation in `source` (`OUT/<n>/`), or the newest (or `version`) in `OUT/`."""
    if not source.is_dir():
        raise NotABuildOutputError(
            f"{source} is not a directory; give the output directory of `pydeclos build` "
            "(OUT/ or OUT/<n>/), copied to or mounted on this machine")
    directory = source
    if not (source / MANIFEST).is_file():
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
        manifest = json.loads((directory / MANIFEST).read_text())
        int(manifest["version"]), str(manifest["image_id"])
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise NotABuildOutputError(
            f"{directory / MANIFEST} is not a pydeclos generation manifest ({error}); "
            "rebuild that generation with `pydeclos build`") from None
    output = BuildOutput(directory, manifest)
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
    sums = {}
    for line in sums_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        sums[name.strip()] = digest.strip()
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
