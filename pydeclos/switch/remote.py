"""`switch` without --from: the generation to install comes from `image.updates.source`.

The image says where (/usr/lib/pydeclos/updates.json, written by lower/sysupdate.py). A
path source is a `pydeclos publish` directory on a mounted share, read like a build output.
For a URL source only the small files are fetched here, to plan: SHA256SUMS, its signature,
the newest generation's manifest and package list, each checked against SHA256SUMS. The
artifacts are downloaded by systemd-sysupdate itself (url-file transfers), which checks the
signature again and every artifact's hash before it writes a slot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.artifacts import sha256
from pydeclos.switch.errors import CorruptArtifactError, SwitchError
from pydeclos.switch.source import CHECKSUMS, PUBLISHED, BuildOutput, open_output, read_sums

SETTINGS = Path("/usr/lib/pydeclos/updates.json")
# Where systemd-pull looks for the keyring, /etc first (lower/sysupdate.py ships the /usr one).
KEYRINGS = (Path("/etc/systemd/import-pubring.gpg"), Path("/usr/lib/systemd/import-pubring.gpg"))
SIGNATURE = CHECKSUMS + ".gpg"
TIMEOUT = 60


@dataclass(frozen=True)
class Settings:
    source: str
    signed: bool
    local_definitions: str | None  # the transfers `switch --from` uses when the source is a URL

    @property
    def remote(self) -> bool:
        return not self.source.startswith("/")


def settings(path: Path = SETTINGS) -> Settings | None:
    """The image's update source, or None when it declares none."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return Settings(str(data["source"]), bool(data["signed"]), data.get("local_definitions"))


def configured() -> Settings:
    found = settings()
    if found is None:
        raise SwitchError(
            "no --from given, and this image declares no update source: set "
            "image.updates.source in its system.py (a URL or a path of a `pydeclos publish` "
            "directory), or give --from OUT (a build output copied to or mounted on this machine)")
    return found


def keyring() -> Path:
    for path in KEYRINGS:
        if path.is_file():
            return path
    raise SwitchError(f"updates must be signed, but no public key is installed "
                      f"({' or '.join(map(str, KEYRINGS))}); set image.updates.public_key")


def unsigned(where: str) -> str:
    return (f"{where} has no {SIGNATURE}, and this machine installs only signed updates: "
            "publish with `pydeclos publish --sign-key KEY`. Nothing was installed")


def check_signature(directory: Path, where: str) -> None:
    """SHA256SUMS.gpg in `directory` is a good signature of SHA256SUMS by the trusted key."""
    if not (directory / SIGNATURE).is_file():
        raise CorruptArtifactError(unsigned(where))
    with tempfile.TemporaryDirectory(prefix="pydeclos-gpg-") as home:
        done = subprocess.run(
            ["gpg", "--homedir", home, "--no-options", "--no-default-keyring",
             "--no-auto-key-locate", "--no-auto-check-trustdb", "--batch",
             "--trust-model=always", f"--keyring={keyring()}", "--verify",
             str(directory / SIGNATURE), str(directory / CHECKSUMS)],
            capture_output=True, text=True)
    if done.returncode != 0:
        raise CorruptArtifactError(
            f"{SIGNATURE} of {where} does not verify against the key this image trusts "
            f"({keyring()}): it was signed by another key, or SHA256SUMS was changed after "
            f"signing. Nothing was installed.\n{done.stderr.strip()[-1500:]}")


def fetch(url: str, target: Path, missing: str | None = None) -> None:
    """Download `url`; `missing` is the error when the server has no such file."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except urllib.error.HTTPError as error:
        if error.code == 404 and missing:
            raise CorruptArtifactError(missing) from None
        raise SwitchError(f"could not download {url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SwitchError(f"could not download {url}: {getattr(error, 'reason', error)}; is the "
                          "update server reachable (image.updates.source)?") from None


def remote_output(source: str, signed: bool, cache: Path) -> BuildOutput:
    """The newest generation a URL source publishes, from its small files fetched into `cache`."""
    base = source.rstrip("/") + "/"
    fetch(urllib.parse.urljoin(base, CHECKSUMS), cache / CHECKSUMS)
    if signed:
        fetch(urllib.parse.urljoin(base, SIGNATURE), cache / SIGNATURE, unsigned(source))
        check_signature(cache, source)
    sums = read_sums(cache / CHECKSUMS)
    found = sorted((int(m["version"]), name) for name in sums if (m := PUBLISHED.match(name)))
    if not found:
        raise SwitchError(f"{source} publishes no generation ({CHECKSUMS} lists no "
                          "<id>_<n>.generation.json); publish one with `pydeclos publish`")
    name = found[-1][1]
    wanted = [name]
    fetch(urllib.parse.urljoin(base, name), cache / name)
    manifest = json.loads((cache / name).read_text())
    package_list = (manifest.get("artifacts") or {}).get("package_manifest")
    if package_list in sums:
        fetch(urllib.parse.urljoin(base, package_list), cache / package_list)
        wanted.append(package_list)
    for each in wanted:
        if sha256(cache / each) != sums[each]:
            raise CorruptArtifactError(f"{base}{each} does not match {CHECKSUMS}; the server "
                                       "serves a damaged or changed file. Nothing was installed")
    return BuildOutput(cache, manifest, name, remote=source)


def configured_output(cache: Path) -> BuildOutput:
    """The newest generation of the configured source (its signature checked when required)."""
    found = configured()
    if found.remote:
        return remote_output(found.source, found.signed, cache)
    directory = Path(found.source)
    if found.signed:
        check_signature(directory, str(directory))
    return open_output(directory)
