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

import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from pydeclos.switch.errors import SwitchError
from pydeclos.switch.source import CHECKSUMS, BuildOutput, verify

SSH = "ssh"
SSH_OPTS_ENV = "PYDECLOS_SSH_OPTS"
REMOTE_PARENT = "/var/tmp"
REMOTE_PREFIX = "pydeclos-target."
COPIED_ROLES = ("usr", "usr_verity", "uki", "package_manifest")
SSH_FAILED = 255  # ssh's own exit code: could not connect, log in, or the connection broke
NOT_FOUND = 127  # the shell's: command not found
ACTIVATING = re.compile(r'^activating generation \d+ by |"activated": "(soft-reboot|kexec)"')


class TargetHostError(SwitchError):
    """The target could not be reached, logged into, or lacks what a switch needs."""


@dataclass(frozen=True)
class Target:
    """`[USER@]HOST[:PORT]`; an IPv6 address with a port is written `[ADDR]:PORT`."""

    host: str
    user: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        user, _, rest = text.rpartition("@")
        host, port = rest, None
        if rest.startswith("["):
            host, _, after = rest[1:].partition("]")
            port_text = after.removeprefix(":") if after.startswith(":") else None
            if after and port_text is None:
                raise TargetHostError(f"--target-host {text!r}: expected [ADDRESS]:PORT")
        elif rest.count(":") == 1:
            host, port_text = rest.split(":")
        else:
            port_text = None
        if port_text is not None:
            if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise TargetHostError(f"--target-host {text!r}: port {port_text!r} is not a "
                                      "number from 1 to 65535 (write [USER@]HOST[:PORT])")
            port = int(port_text)
        if not host or host.startswith("-") or (user and user.startswith("-")):
            raise TargetHostError(f"--target-host {text!r} is not [USER@]HOST[:PORT] "
                                  "(e.g. root@server.example or root@127.0.0.1:2222)")
        return cls(host, user or None, port)

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def __str__(self) -> str:
        return self.destination + (f":{self.port}" if self.port else "")


@dataclass(frozen=True)
class Ssh:
    """How to run a command on the target: ssh with the user's options."""

    target: Target
    options: tuple[str, ...] = ()  # each one `-o` value, e.g. "IdentityFile=/k"
    extra: tuple[str, ...] = ()  # from PYDECLOS_SSH_OPTS, split like a shell would

    def argv(self, command: str, tty: bool = False) -> list[str]:
        argv = [SSH, *self.extra]
        for option in self.options:
            argv += ["-o", option]
        if self.target.port:
            argv += ["-p", str(self.target.port)]
        if tty:
            argv.append("-t")
        return [*argv, "--", self.target.destination, command]


def ssh_from(target: str, options: Sequence[str], environ: dict[str, str] | None = None) -> Ssh:
    env = os.environ if environ is None else environ
    try:
        extra = tuple(shlex.split(env.get(SSH_OPTS_ENV, "")))
    except ValueError as error:
        raise TargetHostError(f"{SSH_OPTS_ENV} is not shell words ({error})") from None
    return Ssh(Target.parse(target), tuple(options), extra)


def ssh_failure(target: Target, stderr: str) -> str:
    """One line saying why ssh could not get a shell on the target, and what to do."""
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    port = target.port or 22
    if "Permission denied" in stderr:
        return (f"ssh refused the login as {target.destination} ({last}): add your public key "
                f"to that user's authorized keys on the target (users.users.<name>."
                "ssh_authorized_keys), or pick the key with -o IdentityFile=PATH")
    if "Host key verification failed" in stderr or "REMOTE HOST IDENTIFICATION" in stderr:
        return (f"ssh does not trust {target.host}'s host key ({last}): connect once with "
                f"`ssh -p {port} {target.destination}` to check and accept it, or give "
                "-o UserKnownHostsFile=PATH")
    if "Could not resolve hostname" in stderr:
        return f"{target.host} is not a known host name ({last}): check the spelling or DNS"
    if any(s in stderr for s in ("Connection refused", "timed out", "No route to host",
                                 "Network is unreachable", "Connection closed",
                                 "Connection reset")):
        return (f"cannot reach {target.host} on port {port} ({last}): is the machine up, "
                "sshd running (services.openssh.enable) and the port open?")
    return f"ssh to {target} failed ({last or 'exit 255, no message'}); try `ssh -v` by hand"


@dataclass(frozen=True)
class Probe:
    """What the target has: our uid there, and whether sudo works without a password."""

    uid: int
    sudo: bool


PROBE = ("command -v pydeclos >/dev/null 2>&1 || exit 127; id -u; "
         "if sudo -n true 2>/dev/null; then echo sudo; else echo nosudo; fi")


def probe(ssh: Ssh) -> Probe:
    done = subprocess.run(ssh.argv(PROBE), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode == SSH_FAILED:
        raise TargetHostError(ssh_failure(ssh.target, done.stderr))
    if done.returncode == NOT_FOUND:
        raise TargetHostError(
            f"{ssh.target.host} has no `pydeclos` command in the PATH of {ssh.target.destination}: "
            "the target must run a pydeclos image (every pydeclos image ships the command), "
            "or it is not in a login shell's PATH there")
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 2 or not words[0].isdigit():
        raise TargetHostError(f"probing {ssh.target} failed (exit {done.returncode}): "
                              f"{(done.stderr or done.stdout).strip()[-500:]}")
    return Probe(int(words[0]), words[1] == "sudo")


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


def make_directory(ssh: Ssh) -> str:
    command = f"mktemp -d {REMOTE_PARENT}/{REMOTE_PREFIX}XXXXXX"
    done = subprocess.run(ssh.argv(command), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode == SSH_FAILED:
        raise TargetHostError(ssh_failure(ssh.target, done.stderr))
    directory = done.stdout.strip()
    if done.returncode != 0 or not directory.startswith(f"{REMOTE_PARENT}/{REMOTE_PREFIX}"):
        raise TargetHostError(f"could not make a directory in {REMOTE_PARENT} on "
                              f"{ssh.target}: {done.stderr.strip()[-500:]}")
    return directory


def copy(ssh: Ssh, output: BuildOutput, directory: str) -> None:
    """tar the generation's files into `directory` on the target (removed again on failure)."""
    quoted = shlex.quote(directory)
    remote = f"tar -C {quoted} -xf - || {{ rm -rf {quoted}; exit 1; }}"
    tar = subprocess.Popen(["tar", "-C", str(output.directory), "-cf", "-", "--",
                            *files_to_copy(output)], stdout=subprocess.PIPE)
    done = subprocess.run(ssh.argv(remote), stdin=tar.stdout, capture_output=True, text=True)
    assert tar.stdout is not None
    tar.stdout.close()
    packed = tar.wait()
    if done.returncode == SSH_FAILED:
        raise TargetHostError("copying the generation: " + ssh_failure(ssh.target, done.stderr))
    if packed != 0 or done.returncode != 0:
        raise TargetHostError(
            f"copying {output.directory} to {ssh.target}:{directory} failed "
            f"({done.stderr.strip()[-500:] or f'tar exit {packed}'}); is {REMOTE_PARENT} on "
            "the target full? Nothing was installed")


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

    def command(self, directory: str | None) -> str:
        """The remote shell command; the copied directory is removed when it ends (also
        on the SIGTERM a soft-reboot sends; else systemd-tmpfiles ages /var/tmp out)."""
        switch = ["pydeclos", "switch"] + (["--from", directory] if directory else [])
        switch += ["--method", self.method]
        switch += [flag for flag, on in (("--dry-run", self.dry_run), ("--json", self.as_json),
                                         ("--yes", self.yes),
                                         ("--allow-downgrade", self.allow_downgrade),
                                         ("--allow-other-image", self.allow_other_image)) if on]
        line = " ".join(map(shlex.quote, (["sudo", "-n"] if self.sudo else []) + switch))
        if directory is None:
            return line
        cleanup = shlex.quote(f"rm -rf {shlex.quote(directory)}")
        return f"trap {cleanup} EXIT HUP INT TERM; {line}"


@dataclass
class Streamed:
    """What the remote printed, as far as deciding the outcome needs it."""

    activating: bool = False
    stderr_tail: list[str] = field(default_factory=list)


def _pump(source: IO[bytes], sink: IO[str], seen: Streamed, keep: bool) -> None:
    for raw in iter(source.readline, b""):
        line = raw.decode(errors="replace")
        sink.write(line)
        sink.flush()
        if ACTIVATING.search(line.strip()):
            seen.activating = True
        if keep:
            seen.stderr_tail = (seen.stderr_tail + [line])[-20:]


def stream(argv: list[str], tty: bool = False,
           out: IO[str] | None = None, err: IO[str] | None = None) -> tuple[int, Streamed]:
    """Run `argv`, copying its output through as it comes; its exit code and what it said."""
    seen = Streamed()
    out, err = out or sys.stdout, err or sys.stderr
    process = subprocess.Popen(argv, stdin=None if tty else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    errors = threading.Thread(target=_pump, args=(process.stderr, err, seen, True), daemon=True)
    errors.start()
    _pump(process.stdout, out, seen, False)
    errors.join()
    return process.wait(), seen


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
                              + ssh_failure(ssh.target, "".join(seen.stderr_tail))
                              + f". Check `ssh {ssh.target.destination} pydeclos status`")
    return code


def check_root(ssh: Ssh, found: Probe, request: Request) -> None:
    if request.dry_run or found.uid == 0:
        return
    if not request.sudo:
        raise TargetHostError(
            f"{ssh.target.destination} is not root on {ssh.target.host} (uid {found.uid}), and "
            "a switch must run as root: use root@HOST, or pass --sudo if that user may run "
            "`sudo` without a password")
    if not found.sudo:
        raise TargetHostError(
            f"--sudo: `sudo -n` asks {ssh.target.destination} for a password on "
            f"{ssh.target.host}; allow it without one for pydeclos (NOPASSWD in sudoers), or "
            "log in as root@HOST")


def switch_remote(ssh: Ssh, output: BuildOutput | None, request: Request) -> int:
    """Check `output` here, copy it to the target, run the switch there; the exit code.

    With no `output`, the target switches from its own configured update source. Without
    --yes the remote asks, through a terminal ssh allocates (`ssh -t`)."""
    if output is not None:
        verify(output)
    found = probe(ssh)
    check_root(ssh, found, request)
    tty = not request.yes and not request.dry_run and sys.stdin.isatty()
    directory = None
    if output is not None:
        directory = make_directory(ssh)
        copy(ssh, output, directory)
    code, seen = stream(ssh.argv(request.command(directory), tty=tty), tty=tty)
    return outcome(ssh, code, seen)
