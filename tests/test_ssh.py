"""pydeclos.ssh's streaming: a session tied to this process ends when this process is
interrupted (the ssh failures and the copy are tested against a real sshd in
tests/switch/test_target_host.py and tests/build/test_remote.py)."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest

from pydeclos.ssh import stream


def test_an_interrupt_here_ends_a_tied_session(tmp_path: Path) -> None:
    said = tmp_path / "pid"

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            stream(["sh", "-c", f"echo $$ > {said}; echo started; exec sleep 60"],
                   out=io.StringIO(), hold_stdin=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ProcessLookupError):
        os.kill(int(said.read_text()), 0)


def test_a_tied_session_sees_no_end_of_file_while_we_run() -> None:
    """The remote build's watcher waits on stdin: end-of-file there means we are gone."""
    script = "read -t 1 line; echo $?"
    tied, untied = io.StringIO(), io.StringIO()
    stream(["bash", "-c", script], out=tied, hold_stdin=True)
    stream(["bash", "-c", script], out=untied)
    assert int(tied.getvalue()) > 128  # read timed out: stdin open, nothing sent
    assert untied.getvalue() == "1\n"  # /dev/null: end-of-file at once
