"""`pydeclos build SYSTEM --build-host [USER@]HOST[:PORT]`: mkosi runs on another machine.

Why this shape: the system file is evaluated and lowered *here*, so a mistake in it shows
with its file:line before any ssh, and the build host needs nothing of the user's sources
(their imports, host files it reads). What goes over is the lowered build tree, which is
self-contained (every file the image gets is in it, with mkosi.conf; no path of this host
is named in it) and which `pydeclos build TREE` already builds; so the build host runs the
very build a local `pydeclos build` runs, with its own package cache, and the generation
comes back as an ordinary `OUT/<n>/` numbered here (--version, else one more than the
newest in OUT), checked against its SHA256SUMS before it is published in OUT.

Over ssh (pydeclos.ssh): a probe (`pydeclos` there, root or `sudo -n`, its version), the
tree as one tar stream into a new /var/tmp/pydeclos-build.XXXXXX, and one session that
builds there, streams the build's progress (stderr) through here, and sends the generation
back as a tar stream (stdout, sparse for the disk image). That session removes its
directory when it ends however it ends, and stops the build when this side goes away (its
stdin, a pipe from here, reaches end-of-file): an interrupted `build --build-host` leaves
no build running and nothing behind on either machine.

The image carries the build host's pydeclos (`pydeclos.on_machine` copies the pydeclos
that runs mkosi), so a different version there is warned about.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydeclos.__about__ import __version__
from pydeclos.build.artifacts import sha256
from pydeclos.build.errors import BuildError
from pydeclos.build.generations import check_output_dir, reserve
from pydeclos.build.ownership import owned_directory
from pydeclos.build.pipeline import MANIFEST, BuildResult
from pydeclos.build.sudoers import check_sudoers
from pydeclos.build.system import evaluate_for_build, lower_to, with_version
from pydeclos.ssh import (
    SSH_FAILED,
    Ssh,
    Streamed,
    make_directory,
    probe,
    remove_directory,
    require_root,
    send,
    ssh_failure,
    stream,
)

BUILD_PREFIX = "pydeclos-build."
CHECKSUMS = "SHA256SUMS"


class BuildHostError(BuildError):
    """The build on the build host failed, or its generation did not come back whole."""


@dataclass(frozen=True)
class BuildHost:
    """Where and how to build: the ssh to the build host, `sudo -n` there, mkosi's output."""

    ssh: Ssh
    sudo: bool = False
    verbose: bool = False


def remote_script(directory: str, tree_name: str, version: int, verbose: bool,
                  sudo: bool) -> str:
    """The shell command of the build session (see the module docstring).

    `pydeclos` is looked up in the login's PATH before `sudo` (whose secure_path may not
    have it). The build's stdout (its summary, naming paths there) is dropped; its stderr
    (progress, errors) comes through ssh. The generation goes to stdout as a tar stream."""
    where = shlex.quote(directory)
    build = (f'"$1" build {where}/{shlex.quote(tree_name)} -o {where}/out '
             f"--version {version}" + (" -v" if verbose else ""))
    inner = "; ".join([
        f"trap {shlex.quote(f'rm -rf {where}')} EXIT HUP INT TERM PIPE",
        f"{build} >/dev/null </dev/null & b=$!",
        # This side gone (stdin at end-of-file): stop the build (it stops mkosi on SIGTERM).
        # Through fd 3: sh gives a background list /dev/null as its stdin.
        "exec 3<&0",
        "{ cat <&3 >/dev/null; kill -TERM $b; } >/dev/null 2>&1 & w=$!",
        "wait $b; c=$?",
        "kill $w 2>/dev/null",
        '[ "$c" -eq 0 ] || exit "$c"',
        f"tar -C {where}/out/{version} -cSf - .",
    ])
    return (("sudo -n " if sudo else "") + f"sh -c {shlex.quote(inner)} sh "
            '"$(command -v pydeclos)"')


def _failure_line(seen: Streamed) -> str:
    """The remote build's own error (from its last `error:` line on, as one line), else its
    last lines."""
    lines = [line.strip() for line in seen.stderr_tail if line.strip()]
    starts = [n for n, line in enumerate(lines) if line.startswith("error:")]
    said = lines[starts[-1]:] if starts else lines[-3:]
    text = " ".join(said).removeprefix("error:").strip() or "no output"
    return text if len(text) <= 600 else text[:600] + "…"


def check_arrived(stage: Path, version: int, host: str) -> dict[str, object]:
    """The generation's manifest, once every file SHA256SUMS lists matches; else raise."""
    try:
        manifest = json.loads((stage / MANIFEST).read_text())
        sums = [line.split(None, 1) for line in (stage / CHECKSUMS).read_text().splitlines()]
    except (OSError, ValueError) as error:
        raise BuildHostError(f"the generation that came back from {host} is incomplete "
                             f"({error}); nothing was written to the output") from None
    if manifest.get("version") != version:
        raise BuildHostError(f"{host} built generation {manifest.get('version')}, not "
                             f"{version}; is its pydeclos too old for --version?")
    for expected, name in sums:
        path = stage / name.strip().lstrip("*")
        if not path.is_file() or sha256(path) != expected:
            raise BuildHostError(f"{name.strip()} from {host} does not match its SHA256SUMS "
                                 "(the copy was damaged); nothing was written to the output, "
                                 "build again")
    return dict(manifest)


def result_from(manifest: dict[str, object], directory: Path, seconds: float) -> BuildResult:
    """What a local build would have returned, from the manifest the build host wrote."""
    def number(key: str) -> float:
        value = manifest.get(key, 0.0)
        return float(value) if isinstance(value, (int, float)) else 0.0

    def table(key: str) -> dict:  # type: ignore[type-arg]
        value = manifest.get(key)
        return dict(value) if isinstance(value, dict) else {}

    version = manifest["version"]
    assert isinstance(version, int)
    usrhash = manifest.get("usrhash")
    return BuildResult(
        version=version,
        directory=directory,
        image_id=str(manifest["image_id"]),
        artifacts=table("artifacts"),
        sizes=table("sizes"),
        usrhash=usrhash if isinstance(usrhash, str) else None,
        durations=table("durations"),
        total_seconds=seconds,
        mkosi_seconds=number("mkosi_seconds"),
    )


def _missing(ssh: Ssh) -> str:
    return (f"{ssh.target.host} has no `pydeclos` command in the PATH of "
            f"{ssh.target.destination}: install pydeclos and mkosi on the build host "
            "(from the pydeclos source tree: scripts/setup-host, then `pip install .`), "
            "and make sure a login shell there finds `pydeclos`")


def prepare(host: BuildHost, say: Callable[[str], None]) -> None:
    """Probe the build host: `pydeclos` there, root (or working `sudo -n`) for mkosi."""
    found = probe(host.ssh, _missing(host.ssh), version=True)
    require_root(host.ssh, found, host.sudo, "a build (mkosi)")
    ours = f"pydeclos, version {__version__}"
    if found.version and found.version != ours:
        say(f"warning: {host.ssh.target.host} runs {found.version}, this machine {ours}; "
            "the image gets the build host's pydeclos")


def build_there(host: BuildHost, tree: Path, stage: Path, version: int,
                say: Callable[[str], None]) -> None:
    """Send `tree`, build it as generation `version` on the build host, unpack it in `stage`."""
    ssh = host.ssh
    directory = make_directory(ssh, BUILD_PREFIX)
    done = False
    try:
        say(f"==> send the build tree to {ssh.target.host}")
        send(ssh, tree.parent, [tree.name], directory)
        say(f"==> build generation {version} on {ssh.target.host} (in {directory})")
        unpack = subprocess.Popen(["tar", "-C", str(stage), "-xf", "-"],
                                  stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert unpack.stdin is not None and unpack.stderr is not None
        try:
            script = remote_script(directory, tree.name, version, host.verbose, host.sudo)
            code, seen = stream(ssh.argv(script), stdout=unpack.stdin, hold_stdin=True)
        finally:
            unpack.stdin.close()
            unpacked = unpack.wait()
        done = True  # the session ended by itself: its trap removed the directory
        if code == SSH_FAILED:
            raise BuildHostError(f"the build on {ssh.target.host} did not report back: "
                                 + ssh_failure(ssh, "".join(seen.stderr_tail)))
        if code != 0:
            raise BuildHostError(f"the build on {ssh.target.host} failed (exit {code}): "
                                 f"{_failure_line(seen)}")
        if unpacked != 0:
            raise BuildHostError(
                f"unpacking generation {version} from {ssh.target.host} into {stage} failed: "
                f"{unpack.stderr.read().decode(errors='replace').strip()[-300:]} (is this "
                "disk full?); nothing was written to the output")
    finally:
        if not done:  # interrupted here, or the tree never arrived
            remove_directory(ssh, directory, host.sudo)


def build_on_host(host: BuildHost, source: Path, out: Path, version: int | None = None,
                  say: Callable[[str], None] = lambda line: None) -> BuildResult:
    """Evaluate and lower `source` here (or take a lowered tree directory), build it on the
    build host, and publish the generation in `out/<version>/` here."""
    started = time.monotonic()
    out = out.resolve()
    check_output_dir(out)
    lowered = None
    if not source.is_dir():
        say("==> evaluate")
        lowered = evaluate_for_build(source, warn=lambda text: say(f"warning: {text}"))
    prepare(host, say)
    with reserve(out, version) as slot, owned_directory("pydeclos-tree-") as scratch:
        tree = source.resolve()
        if lowered is not None:
            config, evaluation = lowered
            say("==> lower")
            tree = scratch / "tree"
            lower_to(with_version(config, slot.version), tree, evaluation)
            if shutil.which("visudo") or shutil.which("visudo", path="/usr/sbin:/sbin"):
                check_sudoers(tree)
        build_there(host, tree, slot.stage, slot.version, say)
        say(f"==> check generation {slot.version} against its SHA256SUMS")
        manifest = check_arrived(slot.stage, slot.version, host.ssh.target.host)
    return result_from(manifest, out / str(slot.version), time.monotonic() - started)
