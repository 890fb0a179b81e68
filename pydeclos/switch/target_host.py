"""`switch --target-host`: switch another machine over ssh, from a generation built here.

The generation is picked and checked here with the same checks as `--from` (manifest,
artifacts, SHA256SUMS), so a damaged copy never leaves this machine. Then, over three ssh
connections: a probe (is there a `pydeclos`, are we root), the copy (only the files the
remote switch reads, as one tar stream into a fresh directory under /var/tmp: /tmp may be a
small tmpfs, and tar is on every Debian system where rsync is not), and the remote
`pydeclos switch --from DIR`, whose output is streamed and whose exit code is ours.

A soft-reboot or kexec ends the remote userspace, ssh included. When the remote has said
it is activating (`activating generation N by …`, or `"activated"` in its JSON) a dropped
connection is the expected end and counts as success; before that it is an error.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass

from pydeclos.ssh import (
    SSH_FAILED,
    Probe,
    Ssh,
    SshError,
    Streamed,
    make_directory,
    probe,
    require_root,
    send,
    ssh_failure,
    stream,
)
from pydeclos.switch.errors import SwitchError
from pydeclos.switch.source import CHECKSUMS, BuildOutput, verify

REMOTE_PREFIX = "pydeclos-target."
COPIED_ROLES = ("usr", "usr_verity", "uki", "package_manifest")
ACTIVATING = re.compile(r'^activating generation \d+ by |"activated": "(soft-reboot|kexec)"')


class TargetHostError(SwitchError):
    """The switch on the target did not report back."""


def files_to_copy(output: BuildOutput) -> list[str]:
    """The names in the generation's directory that the remote switch reads."""
    names = [output.manifest_name, CHECKSUMS]
    if (output.directory / (CHECKSUMS + ".gpg")).is_file():
        names.append(CHECKSUMS + ".gpg")
    for role in COPIED_ROLES:
        path = output.artifact(role)
        if path is not None and path.is_file():
            names.append(path.name)
    return names


def copy(ssh: Ssh, output: BuildOutput, directory: str) -> None:
    """tar the generation's files into `directory` on the target (removed again on failure)."""
    try:
        send(ssh, output.directory, files_to_copy(output), directory)
    except SshError as error:
        raise SshError(f"{error}. Nothing was installed") from None


@dataclass(frozen=True)
class Request:
    """The switch to run on the target: the flags of the local `pydeclos switch`."""

    dry_run: bool = False
    as_json: bool = False
    method: str = "auto"
    yes: bool = False
    allow_downgrade: bool = False
    allow_other_image: bool = False
    sudo: bool = False
    stage_only: bool = False
    if_newer: bool = False

    def command(self, directory: str | None) -> str:
        """The remote shell command; the copied directory is removed when it ends (also
        on the SIGTERM a soft-reboot sends; else systemd-tmpfiles ages /var/tmp out)."""
        switch = ["pydeclos", "switch"] + (["--from", directory] if directory else [])
        switch += ["--method", self.method]
        switch += [flag for flag, on in (("--dry-run", self.dry_run), ("--json", self.as_json),
                                         ("--yes", self.yes),
                                         ("--allow-downgrade", self.allow_downgrade),
                                         ("--allow-other-image", self.allow_other_image),
                                         ("--stage-only", self.stage_only),
                                         ("--if-newer", self.if_newer)) if on]
        line = " ".join(map(shlex.quote, (["sudo", "-n"] if self.sudo else []) + switch))
        if directory is None:
            return line
        cleanup = shlex.quote(f"rm -rf {shlex.quote(directory)}")
        return f"trap {cleanup} EXIT HUP INT TERM; {line}"


def outcome(ssh: Ssh, code: int, seen: Streamed) -> int:
    """Our exit code: the remote's; a connection lost after `activating…` is success."""
    if code == 0:
        return 0
    if seen.activating and (code == SSH_FAILED or code < 0 or code >= 128):
        print(f"(the connection to {ssh.target.host} closed as it activated the new "
              f"generation; see `ssh {ssh.target.destination} pydeclos status` once it is back)",
              file=sys.stderr)
        return 0
    if code == SSH_FAILED:
        raise TargetHostError("the switch on the target did not report back: "
                              + ssh_failure(ssh, "".join(seen.stderr_tail))
                              + f". Check `ssh {ssh.target.destination} pydeclos status`")
    return code


def check_root(ssh: Ssh, found: Probe, request: Request) -> None:
    if not request.dry_run:
        require_root(ssh, found, request.sudo, "a switch")


def switch_remote(ssh: Ssh, output: BuildOutput | None, request: Request) -> int:
    """Check `output` here, copy it to the target, run the switch there; the exit code.

    With no `output`, the target switches from its own configured update source. Without
    --yes the remote asks, through a terminal ssh allocates (`ssh -t`)."""
    if output is not None:
        verify(output)
    found = probe(ssh, f"{ssh.target.host} has no `pydeclos` command in the PATH of "
                       f"{ssh.target.destination}: the target must run a pydeclos image (every "
                       "pydeclos image ships the command), or it is not in a login shell's "
                       "PATH there")
    check_root(ssh, found, request)
    tty = not request.yes and not request.dry_run and sys.stdin.isatty()
    directory = None
    if output is not None:
        directory = make_directory(ssh, REMOTE_PREFIX)
        copy(ssh, output, directory)
    code, seen = stream(ssh.argv(request.command(directory), tty=tty), tty=tty,
                        watch=lambda line: bool(ACTIVATING.search(line)))
    return outcome(ssh, code, seen)
