"""A real OpenSSH server on a loopback port, run as the test's user, for `--target-host` tests.

It accepts one key the test made, logs in as the user running the tests, and sets PATH for
the sessions (so a test decides whether the target has a `pydeclos`).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class Server:
    port: int
    key: Path  # the private key sshd accepts
    known_hosts: Path  # trusts this server's host key
    user: str

    @property
    def target(self) -> str:
        return f"{self.user}@127.0.0.1:{self.port}"

    @property
    def options(self) -> list[str]:
        """`-o` values for a non-interactive login with the test's key."""
        return [f"IdentityFile={self.key}", f"UserKnownHostsFile={self.known_hosts}",
                "StrictHostKeyChecking=yes", "BatchMode=yes", "IdentitiesOnly=yes",
                "LogLevel=ERROR"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test",
                    "-f", str(path)], check=True)
    return path


@contextmanager
def sshd(directory: Path, path: str) -> Iterator[Server]:
    """An sshd on a free loopback port whose sessions get PATH=`path`."""
    if not (os.access(SSHD, os.X_OK) and shutil.which("ssh")):
        pytest.skip("needs OpenSSH's ssh and sshd (scripts/setup-host installs them)")
    directory.mkdir(parents=True, exist_ok=True)
    host, user = keygen(directory / "host"), keygen(directory / "user")
    port = free_port()
    (directory / "known_hosts").write_text(
        f"[127.0.0.1]:{port} {(directory / 'host.pub').read_text()}")
    shutil.copyfile(directory / "user.pub", directory / "authorized")
    config = directory / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host}",
        f"PidFile {directory / 'sshd.pid'}", f"AuthorizedKeysFile {directory / 'authorized'}",
        "StrictModes no", "UsePAM no", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
        f"SetEnv PATH={path}", ""]))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
    log = (directory / "sshd.log").open("w")
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if server.poll() is not None:
                pytest.skip(f"sshd did not start: {(directory / 'sshd.log').read_text()[-500:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield Server(port, user, directory / "known_hosts", getpass.getuser())
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
