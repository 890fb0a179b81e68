"""ssh to another machine, for `switch --target-host` and `build --build-host`.

The system's `ssh` client runs every command (so `~/.ssh/config`, agents and known_hosts
apply); this module builds its argument list, probes what the other side has, makes and
fills a scratch directory there, streams a remote command's output through as it comes,
and turns ssh's own failures (exit 255) into one line saying what to do.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pydeclos.errors import PydeclosError

SSH = "ssh"
SSH_OPTS_ENV = "PYDECLOS_SSH_OPTS"
REMOTE_PARENT = "/var/tmp"  # not /tmp: it may be a small tmpfs
SSH_FAILED = 255  # ssh's own exit code: could not connect, log in, or the connection broke
NOT_FOUND = 127  # the shell's: command not found


class SshError(PydeclosError):
    """The other machine could not be reached, logged into, or lacks what is needed."""


@dataclass(frozen=True)
class Target:
    """`[USER@]HOST[:PORT]`; an IPv6 address with a port is written `[ADDR]:PORT`."""

    host: str
    user: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str, flag: str = "--target-host") -> Target:
        user, _, rest = text.rpartition("@")
        host, port = rest, None
        if rest.startswith("["):
            host, _, after = rest[1:].partition("]")
            port_text = after.removeprefix(":") if after.startswith(":") else None
            if after and port_text is None:
                raise SshError(f"{flag} {text!r}: expected [ADDRESS]:PORT")
        elif rest.count(":") == 1:
            host, port_text = rest.split(":")
        else:
            port_text = None
        if port_text is not None:
            if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise SshError(f"{flag} {text!r}: port {port_text!r} is not a number from 1 "
                               "to 65535 (write [USER@]HOST[:PORT])")
            port = int(port_text)
        if not host or host.startswith("-") or (user and user.startswith("-")):
            raise SshError(f"{flag} {text!r} is not [USER@]HOST[:PORT] "
                           "(e.g. root@server.example or root@127.0.0.1:2222)")
        return cls(host, user or None, port)

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def __str__(self) -> str:
        return self.destination + (f":{self.port}" if self.port else "")


@dataclass(frozen=True)
class Ssh:
    """How to run a command on the other machine: ssh with the user's options."""

    target: Target
    options: tuple[str, ...] = ()  # each one `-o` value, e.g. "IdentityFile=/k"
    extra: tuple[str, ...] = ()  # from PYDECLOS_SSH_OPTS, split like a shell would
    role: str = "target"  # what the machine is to us, for messages: "target", "build host"
    option_flag: str = "-o"  # how the command line spells an ssh option, for messages

    def argv(self, command: str, tty: bool = False) -> list[str]:
        argv = [SSH, *self.extra]
        for option in self.options:
            argv += ["-o", option]
        if self.target.port:
            argv += ["-p", str(self.target.port)]
        if tty:
            argv.append("-t")
        return [*argv, "--", self.target.destination, command]


def ssh_from(target: str, options: Sequence[str], environ: dict[str, str] | None = None,
             flag: str = "--target-host", role: str = "target",
             option_flag: str = "-o") -> Ssh:
    env = os.environ if environ is None else environ
    try:
        extra = tuple(shlex.split(env.get(SSH_OPTS_ENV, "")))
    except ValueError as error:
        raise SshError(f"{SSH_OPTS_ENV} is not shell words ({error})") from None
    return Ssh(Target.parse(target, flag), tuple(options), extra, role, option_flag)


def ssh_failure(ssh: Ssh, stderr: str) -> str:
    """One line saying why ssh could not get a shell on the machine, and what to do."""
    target = ssh.target
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    port = target.port or 22
    if "Permission denied" in stderr:
        return (f"ssh refused the login as {target.destination} ({last}): add your public key "
                f"to that user's authorized keys on the {ssh.role} (on a pydeclos machine: "
                "users.users.<name>.ssh_authorized_keys), or pick the key with "
                f"{ssh.option_flag} IdentityFile=PATH")
    if "Host key verification failed" in stderr or "REMOTE HOST IDENTIFICATION" in stderr:
        return (f"ssh does not trust {target.host}'s host key ({last}): connect once with "
                f"`ssh -p {port} {target.destination}` to check and accept it, or give "
                f"{ssh.option_flag} UserKnownHostsFile=PATH")
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
    """What the machine has: our uid there, whether sudo works without a password, and
    (when asked for) the first line of `pydeclos --version` there."""

    uid: int
    sudo: bool
    version: str = ""


PROBE = ("command -v pydeclos >/dev/null 2>&1 || exit 127; id -u; "
         "if sudo -n true 2>/dev/null; then echo sudo; else echo nosudo; fi")
PROBE_VERSION = "; pydeclos --version 2>/dev/null | head -n 1"


def probe(ssh: Ssh, missing: str, version: bool = False) -> Probe:
    """Log in once: fail with `missing` if there is no `pydeclos` in the login's PATH."""
    script = PROBE + (PROBE_VERSION if version else "")
    done = subprocess.run(ssh.argv(script), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode == SSH_FAILED:
        raise SshError(ssh_failure(ssh, done.stderr))
    if done.returncode == NOT_FOUND:
        raise SshError(missing)
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < 2 or not lines[0].strip().isdigit():
        raise SshError(f"probing {ssh.target} failed (exit {done.returncode}): "
                       f"{(done.stderr or done.stdout).strip()[-500:]}")
    return Probe(int(lines[0]), lines[1].strip() == "sudo",
                 lines[2].strip() if len(lines) > 2 else "")


def require_root(ssh: Ssh, found: Probe, sudo: bool, what: str) -> None:
    """Refuse unless the login is root there, or `sudo` was asked for and works."""
    if found.uid == 0:
        return
    if not sudo:
        raise SshError(
            f"{ssh.target.destination} is not root on {ssh.target.host} (uid {found.uid}), and "
            f"{what} must run as root: use root@HOST, or pass --sudo if that user may run "
            "`sudo` without a password")
    if not found.sudo:
        raise SshError(
            f"--sudo: `sudo -n` asks {ssh.target.destination} for a password on "
            f"{ssh.target.host}; allow it without one for pydeclos (NOPASSWD in sudoers), or "
            "log in as root@HOST")


def make_directory(ssh: Ssh, prefix: str) -> str:
    """A new directory `REMOTE_PARENT/<prefix>XXXXXX` on the machine, made by mktemp.

    Directories of the same prefix last changed before the machine booted are removed
    first: no running command owns them (a copy cut short by a power loss), and on a small
    /var they would leave no room for this one."""
    pattern = f"{REMOTE_PARENT}/{prefix}"
    command = (
        "booted=$(( $(date +%s) - $(cut -d. -f1 /proc/uptime) )); "
        f"for d in {pattern}*; do "
        '[ -d "$d" ] && [ "$(stat -c %Y "$d")" -lt "$booted" ] && rm -rf "$d"; '
        f"done; mktemp -d {pattern}XXXXXX")
    done = subprocess.run(ssh.argv(command), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode == SSH_FAILED:
        raise SshError(ssh_failure(ssh, done.stderr))
    directory = done.stdout.strip()
    if done.returncode != 0 or not directory.startswith(f"{REMOTE_PARENT}/{prefix}"):
        raise SshError(f"could not make a directory in {REMOTE_PARENT} on "
                       f"{ssh.target}: {done.stderr.strip()[-500:]}")
    return directory


def send(ssh: Ssh, source: Path, names: Sequence[str], directory: str) -> None:
    """tar `names` (relative to `source`) into `directory` on the machine as one stream.

    On failure the remote directory is removed again and SshError says why."""
    quoted = shlex.quote(directory)
    remote = f"tar -C {quoted} -xf - || {{ rm -rf {quoted}; exit 1; }}"
    tar = subprocess.Popen(["tar", "-C", str(source), "-cf", "-", "--", *names],
                           stdout=subprocess.PIPE)
    done = subprocess.run(ssh.argv(remote), stdin=tar.stdout, capture_output=True, text=True)
    assert tar.stdout is not None
    tar.stdout.close()
    packed = tar.wait()
    if done.returncode == SSH_FAILED:
        raise SshError(f"copying {source} to the {ssh.role}: {ssh_failure(ssh, done.stderr)}")
    if packed != 0 or done.returncode != 0:
        raise SshError(
            f"copying {source} to {ssh.target}:{directory} failed "
            f"({done.stderr.strip()[-500:] or f'tar exit {packed}'}); is {REMOTE_PARENT} on "
            f"the {ssh.role} full?")


def remove_directory(ssh: Ssh, directory: str, sudo: bool = False) -> None:
    """Best effort: remove `directory` on the machine (a failure here changes no result)."""
    command = ("sudo -n " if sudo else "") + f"rm -rf {shlex.quote(directory)}"
    subprocess.run(ssh.argv(command), capture_output=True, stdin=subprocess.DEVNULL,
                   check=False)


@dataclass
class Streamed:
    """What the remote printed, as far as deciding the outcome needs it."""

    activating: bool = False
    stderr_tail: list[str] = field(default_factory=list)


def _pump(source: IO[bytes], sink: IO[str], seen: Streamed, keep: bool,
          watch: Callable[[str], bool] | None) -> None:
    for raw in iter(source.readline, b""):
        line = raw.decode(errors="replace")
        sink.write(line)
        sink.flush()
        if watch is not None and watch(line.strip()):
            seen.activating = True
        if keep:
            seen.stderr_tail = (seen.stderr_tail + [line])[-20:]


def stream(argv: list[str], tty: bool = False,
           out: IO[str] | None = None, err: IO[str] | None = None,
           watch: Callable[[str], bool] | None = None,
           stdout: IO[bytes] | None = None, hold_stdin: bool = False) -> tuple[int, Streamed]:
    """Run `argv`, copying its output through as it comes; its exit code and what it said.

    `watch` marks the output as `activating` when it is true for a line. With `stdout`
    (a binary file or pipe) the command's standard output goes there untouched (a tar
    stream, say), and only its standard error is copied through to `err`. With
    `hold_stdin` (and no terminal) its standard input is a pipe this process never writes
    to: when this process goes (an interrupt, a crash) the remote command reads
    end-of-file and can stop its work (and on an interrupt here ssh is ended, so that it
    does); else stdin is /dev/null."""
    seen = Streamed()
    out, err = out or sys.stdout, err or sys.stderr
    held = subprocess.PIPE if hold_stdin else subprocess.DEVNULL
    process = subprocess.Popen(argv, stdin=None if tty else held,
                               stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = threading.Thread(target=_pump, args=(process.stderr, err, seen, True, watch),
                              daemon=True)
    errors.start()
    try:
        if stdout is None:
            assert process.stdout is not None
            _pump(process.stdout, out, seen, False, watch)
        errors.join()
    except BaseException:  # an interrupt here (SIGTERM does not reach ssh by itself)
        if hold_stdin:
            process.terminate()
            process.wait()
        raise
    code = process.wait()
    if process.stdin is not None:
        process.stdin.close()
    return code, seen
