"""`pydeclos publish`: add a generation to an update directory any static server can serve.

The directory is flat, as systemd-sysupdate's `url-file` sources want it: each generation's
/usr and verity (xz-compressed here, see compress.py) and UKI under the names the machines'
transfer definitions match, its package manifest and `<id>_<n>.generation.json` (the build's
manifest naming the compressed files, for `switch`'s plan), `SHA256SUMS` over every file
present and, when signing, `SHA256SUMS.gpg` (a detached gpg signature).

Readers see the old set or the new one: new files are written under temporary names and
renamed into place, then `SHA256SUMS` (and its signature) replaced by rename, and only then
are the generations beyond `--keep` removed. Between the two renames a reader can fetch a
new SHA256SUMS with the old signature; sysupdate then refuses the update and tries again
later, it never installs a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pydeclos.build.artifacts import sha256
from pydeclos.switch.compress import compress
from pydeclos.switch.delta import delta_files, deltas_name, make_deltas
from pydeclos.switch.errors import SwitchError
from pydeclos.switch.source import (
    CHECKSUMS,
    PUBLISHED,
    PUBLISHED_SUFFIX,
    UPDATE_ROLES,
    BuildOutput,
    open_output,
    read_sums,
    verify,
)

SIGNATURE = CHECKSUMS + ".gpg"
TEMPORARY = ".publishing."  # prefix of files not yet renamed into place
PUBLISHED_ROLES = (*UPDATE_ROLES, "package_manifest")
COMPRESSED_ROLES = ("usr", "usr_verity")


def published_name(role: str, name: str) -> str:
    """What a build's artifact is called in an update directory: partitions as `.raw.xz`."""
    return name + ".xz" if role in COMPRESSED_ROLES and name.endswith(".raw") else name


class PublishError(SwitchError):
    """A publish that cannot go ahead; the update directory is unchanged."""


def generation_name(image_id: str, version: int) -> str:
    return f"{image_id}_{version}{PUBLISHED_SUFFIX}"


@dataclass
class Published:
    """What `publish` did, for the command's output."""

    directory: Path
    version: int
    already: bool = False
    removed: list[int] = field(default_factory=list)
    signed: bool = False
    kept: list[int] = field(default_factory=list)
    image_id: str = ""
    update_bytes: int = 0  # what a machine downloads for this generation (usr, verity, UKI)
    # what a machine running each older generation downloads instead, with the deltas
    delta_bytes: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"directory": str(self.directory), "image_id": self.image_id,
                "version": self.version, "already_published": self.already,
                "signed": self.signed, "update_bytes": self.update_bytes,
                "delta_bytes": {str(v): n for v, n in sorted(self.delta_bytes.items())},
                "removed": self.removed, "generations": self.kept}


def published_generations(directory: Path) -> dict[tuple[str, int], dict[str, object]]:
    """(image id, version) -> that generation's manifest, for each one published in `directory`."""
    found: dict[tuple[str, int], dict[str, object]] = {}
    for path in directory.glob(f"*{PUBLISHED_SUFFIX}"):
        match = PUBLISHED.match(path.name)
        if match and not path.name.startswith(TEMPORARY):
            found[(match["id"], int(match["version"]))] = json.loads(path.read_text())
    return found


def _files_of(image_id: str, version: int, manifest: dict[str, object],
              directory: Path) -> list[str]:
    artifacts = manifest.get("artifacts") or {}
    assert isinstance(artifacts, dict)
    names = [str(artifacts[role]) for role in PUBLISHED_ROLES if artifacts.get(role)]
    deltas = directory / deltas_name(image_id, version)
    if deltas.is_file():
        names += [*delta_files(deltas), deltas.name]
    return [*names, generation_name(image_id, version)]


def _add_deltas(output: BuildOutput, directory: Path, bases: list[int],
                generations: dict[tuple[str, int], dict[str, object]],
                new: dict[str, Path]) -> dict[int, int]:
    """Deltas of the new generation (`new`: role -> its file placed here) against each of
    `bases` (already published here), and the deltas file naming them, placed before the
    generation's manifest; base -> what a machine running it downloads (deltas, and whole
    files where no delta is smaller)."""
    unpacked = {role: path for role in UPDATE_ROLES
                if (path := output.artifact(role)) is not None and path.suffix != ".xz"}
    base_files: dict[int, dict[str, Path]] = {}
    for version in bases:
        artifacts = generations[(output.image_id, version)].get("artifacts") or {}
        assert isinstance(artifacts, dict)
        base_files[version] = {role: directory / str(artifacts[role])
                               for role in UPDATE_ROLES if artifacts.get(role)}
    made = make_deltas(output.image_id, output.version, new, base_files, directory, TEMPORARY,
                       unpacked)
    if made is None:
        return {}
    downloads: dict[int, int] = {}
    for base, roles in made["from"].items():
        for entry in roles.values():
            _into_place(directory, entry["delta"])
        remade = made["verity"] is not None and "usr" in roles  # from the rebuilt /usr
        downloads[int(base)] = sum(
            (directory / roles[role]["delta"]).stat().st_size if role in roles
            else 0 if role == "usr_verity" and remade else path.stat().st_size
            for role, path in new.items())
    _place_json(made, directory, deltas_name(output.image_id, output.version))
    return downloads


def _place(source: Path, directory: Path, name: str) -> None:
    """Copy `source` to `directory/name` under a temporary name first, then rename."""
    shutil.copyfile(source, directory / (TEMPORARY + name))
    _into_place(directory, name)


def _place_json(data: object, directory: Path, name: str) -> None:
    """Write `data` as JSON to `directory/name` under a temporary name first, then rename."""
    (directory / (TEMPORARY + name)).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    _into_place(directory, name)


def _into_place(directory: Path, name: str) -> None:
    """Rename `directory`/TEMPORARY+name to `name` once its content is on disk."""
    temporary = directory / (TEMPORARY + name)
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, directory / name)


def _sign(sums: Path, key: str, target: Path) -> None:
    done = subprocess.run(["gpg", "--batch", "--yes", "--local-user", key, "--detach-sign",
                           "--output", str(target), str(sums)], capture_output=True, text=True)
    if done.returncode != 0:
        raise PublishError(
            f"gpg could not sign {CHECKSUMS} with key {key!r} (status {done.returncode}): "
            f"{done.stderr.strip()[-1500:]}\nList the secret keys with `gpg --list-secret-keys`; "
            "nothing was published")


def _check_key(key: str) -> None:
    done = subprocess.run(["gpg", "--batch", "--list-secret-keys", key], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise PublishError(
            f"gpg has no secret key {key!r} to sign {CHECKSUMS} with (GNUPGHOME="
            f"{os.environ.get('GNUPGHOME', '~/.gnupg')}); list them with `gpg "
            "--list-secret-keys`, or create one (docs/updates.md). Nothing was published")


def _check_same(output: BuildOutput, directory: Path, verbatim: dict[str, Path]) -> bool:
    """True when this version is published with the same content; refuse other content.
    The files copied as they are must match, and the /usr the UKI pins (the compressed
    partitions are not compressed again to compare them)."""
    published = read_sums(directory / CHECKSUMS)
    generation = generation_name(output.image_id, output.version)
    if generation not in published:  # files of an interrupted publish are not published
        return False
    differing = [name for name, path in verbatim.items()
                 if published.get(name) != sha256(path)]
    try:
        usrhash = json.loads((directory / generation).read_text()).get("usrhash")
    except (OSError, ValueError):
        usrhash = None
    if usrhash != output.manifest.get("usrhash"):
        differing.append(generation)
    if differing:
        raise PublishError(
            f"{directory} already publishes {output.image_id} generation {output.version} with "
            f"other content ({', '.join(sorted(differing))} differ). A published version never "
            "changes: build a new generation (`pydeclos build` numbers it) and publish that")
    return True


def _published_manifest(output: BuildOutput, directory: Path,
                        names: dict[str, str]) -> dict[str, object]:
    """The build's manifest, naming and sizing the files as published (role -> name)."""
    manifest = dict(output.manifest)
    manifest["artifacts"] = {**(manifest.get("artifacts") or {}), **names}
    sizes = dict(manifest.get("sizes") or {})
    for role, name in names.items():
        stat = (directory / name).stat()
        sizes[role] = {"bytes": stat.st_size, "allocated": stat.st_blocks * 512}
    manifest["sizes"] = sizes
    return manifest


def publish(source: Path, directory: Path, sign_key: str | None = None,
            keep: int | None = None) -> Published:
    """Add the generation in `source` (OUT/<n>, or the newest in OUT) to `directory`."""
    if keep is not None and keep < 1:
        raise PublishError(f"--keep {keep}: keep at least the generation being published (1)")
    output = open_output(source)
    if sign_key is not None:
        _check_key(sign_key)
    verify(output)  # a damaged build output is never published
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(TEMPORARY + "*"):  # left by an interrupted publish
        stale.unlink()
    sources: dict[str, tuple[str, Path]] = {}  # published name -> (role, build's file)
    for role in PUBLISHED_ROLES:
        path = output.artifact(role)
        if path is not None and path.is_file():
            sources[published_name(role, path.name)] = (role, path)
    generation = generation_name(output.image_id, output.version)
    verbatim = {name: path for name, (_, path) in sources.items() if name == path.name}
    result = Published(directory, output.version, signed=sign_key is not None,
                       image_id=output.image_id)
    result.already = _check_same(output, directory, verbatim)
    generations = published_generations(directory)
    ours = sorted({v for (image_id, v) in generations if image_id == output.image_id}
                  | {output.version})
    dropped = ours[:-keep] if keep is not None and len(ours) > keep else []
    if output.version in dropped:
        raise PublishError(
            f"generation {output.version} is older than the newest {keep} in {directory} "
            f"({', '.join(map(str, ours[len(dropped):]))}); it would be removed at once. Publish a "
            "newer generation or raise --keep")
    fresh: dict[str, str] = {}  # name -> sha256 of the files placed now
    if not result.already:
        # Every older generation served until now, those about to be removed too: machines
        # may still run them, and a delta needs the base only here, to be made.
        listed = read_sums(directory / CHECKSUMS)
        bases = [v for v in ours if v < output.version
                 and generation_name(output.image_id, v) in listed]
        for name, (_, path) in sources.items():
            if name in verbatim:
                _place(path, directory, name)
                fresh[name] = sha256(directory / name)
            else:
                fresh[name] = compress(path, directory / (TEMPORARY + name))
                _into_place(directory, name)
        placed = {role: directory / name for name, (role, _) in sources.items()
                  if role in UPDATE_ROLES}
        result.delta_bytes = _add_deltas(output, directory, bases, generations, placed)
        # The manifest last: its presence means all is in place.
        _place_json(_published_manifest(output, directory, {role: name for name, (role, _)
                                                            in sources.items()}),
                    directory, generation)
        fresh[generation] = sha256(directory / generation)
        generations = published_generations(directory)
    result.update_bytes = sum((directory / name).stat().st_size
                              for name, (role, _) in sources.items() if role in UPDATE_ROLES)
    remove = {name for v in dropped for name in
              _files_of(output.image_id, v, generations[(output.image_id, v)], directory)}
    # Every file of each generation kept whose files are all in place (a generation's
    # manifest is placed last, so one whose publish was killed is left out).
    present = sorted({name for (image_id, v), manifest in generations.items()
                      if (image_id, v) not in {(output.image_id, d) for d in dropped}
                      for files in [_files_of(image_id, v, manifest, directory)]
                      if all((directory / f).is_file() for f in files)
                      for name in files})
    old = read_sums(directory / CHECKSUMS)
    sums = "".join(f"{fresh.get(name) or old.get(name) or sha256(directory / name)}  {name}\n"
                   for name in present)
    temporary = directory / (TEMPORARY + CHECKSUMS)
    temporary.write_text(sums)
    if sign_key is not None:
        signature = directory / (TEMPORARY + SIGNATURE)
        _sign(temporary, sign_key, signature)
        os.replace(temporary, directory / CHECKSUMS)
        os.replace(signature, directory / SIGNATURE)
    else:
        os.replace(temporary, directory / CHECKSUMS)
        (directory / SIGNATURE).unlink(missing_ok=True)  # it would not match any more
    for name in sorted(remove):
        (directory / name).unlink(missing_ok=True)
    result.removed = dropped
    result.kept = [v for v in ours if v not in dropped]
    return result
