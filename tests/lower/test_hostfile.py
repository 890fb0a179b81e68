"""`environment.etc.*.source`: only a regular, world-readable, bounded host file is read.

Each refusal names the option path and the file, comes at once (a FIFO or /dev/zero must
not hang or fill memory), and the content of a private file never reaches the tree.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pydeclos.lower import lower
from pydeclos.lower.errors import LoweringError, MissingSource
from pydeclos.lower.hostfile import MAX_SOURCE_BYTES
from tests.lower.cases import evaluate_definitions as config

OPTION = 'environment.etc."app.conf".source'


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Reading a source must never block: fail the test after 10 s instead of hanging."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("reading the source file hung")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def lower_source(source: str | Path):
    return lower(config({"environment": {"etc": {"app.conf": {"source": str(source)}}}}))


def refused(source: str | Path, *phrases: str) -> str:
    with pytest.raises(LoweringError) as caught:
        lower_source(source)
    message = str(caught.value)
    assert message.startswith(f"{OPTION}: "), message
    assert str(source) in message
    for phrase in phrases:
        assert phrase in message, message
    return message


def test_a_regular_world_readable_file_is_copied(tmp_path: Path) -> None:
    source = tmp_path / "app.conf"
    source.write_bytes(b"listen 80\n")
    source.chmod(0o644)
    tree = lower_source(source)
    stored = [entry for path, entry in tree.items() if path.endswith("/etc/app.conf")]
    assert [entry.content for entry in stored] == [b"listen 80\n"]


def test_dev_zero_is_refused_at_once() -> None:
    refused("/dev/zero", "is a character device, not a regular file")


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "innocent.conf"
    link.symlink_to("/dev/zero")
    refused(link, "character device")


def test_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(fifo, "is a FIFO (named pipe), not a regular file")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, "is a directory, not a regular file")


def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        refused(path, "is a socket, not a regular file")
    finally:
        server.close()


def test_a_file_over_the_limit_is_refused_with_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big"
    with big.open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)
    refused(big, "16.0 MiB", "limit of 16.0 MiB")


def test_a_file_exactly_at_the_limit_is_read(tmp_path: Path) -> None:
    edge = tmp_path / "edge"
    with edge.open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES)
    edge.chmod(0o644)
    lower_source(edge)


def test_a_private_file_is_refused_not_published(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    key.chmod(0o600)
    message = refused(key, "not readable by everyone (mode 0600)", "/usr",
                      "secrets do not belong in the image")
    assert "secret\n" not in message


def test_a_group_readable_file_is_private_too(tmp_path: Path) -> None:
    key = tmp_path / "db.password"
    key.write_text("hunter2\n")
    key.chmod(0o640)
    refused(key, "mode 0640")


def test_a_missing_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(MissingSource, match=OPTION.replace(".", r"\.")):
        lower_source(tmp_path / "gone")
