"""An install's progress: sysupdate's notifications turned into bytes, a rate, and lines."""

from __future__ import annotations

import io
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from pydeclos.switch.activate import _run_notifying
from pydeclos.switch.progress import Notice, Reporter, bytes_done, parse_notice

MB = 1_000_000
SIZES = [90 * MB, 15 * MB, 45 * MB]  # /usr, verity, UKI: 150 MB


def notice(overall: int, done: int) -> Notice:
    return Notice(overall, done, 3 - done)


def test_a_datagram_of_sysupdate_is_read_and_others_are_ignored() -> None:
    datagram = (b"X_SYSUPDATE_PROGRESS=50\nX_SYSUPDATE_TRANSFERS_LEFT=2\n"
                b"X_SYSUPDATE_TRANSFERS_DONE=1\nSTATUS=Updating to '2' (50% complete).")
    assert parse_notice(datagram) == Notice(50, 1, 2)
    assert parse_notice(b"READY=1") is None
    assert parse_notice(b"X_SYSUPDATE_PROGRESS=lots") is None


def test_the_equal_shares_of_transfers_become_bytes() -> None:
    """sysupdate gives each of the 3 transfers a third: 50 % overall with one done is half
    of the verity partition, i.e. 90 + 7.5 MB, not half of 150 MB."""
    assert bytes_done(notice(0, 0), SIZES) == 0
    assert bytes_done(notice(16, 0), SIZES) == 90 * MB * 48 // 100
    assert bytes_done(notice(50, 1), SIZES) == 90 * MB + 15 * MB // 2
    assert bytes_done(notice(66, 2), SIZES) == 105 * MB
    assert bytes_done(notice(100, 3), SIZES) == 150 * MB
    assert bytes_done(notice(50, 1), SIZES[:2]) is None  # sizes unknown for a transfer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_per_quarter_with_bytes_and_rate() -> None:
    out, clock = io.StringIO(), Clock()
    shown = Reporter(out, "downloading generation 2", SIZES, live=False, clock=clock)
    for overall, done, at in ((10, 0, 1), (20, 0, 2), (33, 1, 3), (40, 1, 4), (70, 2, 6),
                              (90, 2, 8)):
        clock.now = 100 + at
        shown.update(notice(overall, done))
    clock.now = 110
    assert shown.finish(succeeded=True) == {"bytes": 150 * MB, "seconds": 10.0}
    assert out.getvalue() == (
        "downloading generation 2: 36% (54.0 MB of 150.0 MB, 27.0 MB/s)\n"
        "downloading generation 2: 60% (90.0 MB of 150.0 MB, 30.0 MB/s)\n"
        "downloading generation 2: 91% (136.5 MB of 150.0 MB, 17.1 MB/s)\n"
        "downloading generation 2: 100% (150.0 MB of 150.0 MB, 15.0 MB/s)\n")


def test_a_terminal_gets_one_line_redrawn_with_the_time_left() -> None:
    out, clock = io.StringIO(), Clock()
    shown = Reporter(out, "installing generation 2", SIZES, live=True, clock=clock)
    clock.now = 102
    shown.update(notice(16, 0))
    clock.now = 104
    shown.finish(succeeded=False)
    first, last = out.getvalue().split("\r")[1:]
    assert first == ("installing generation 2: 28% (43.2 MB of 150.0 MB, 21.6 MB/s, "
                     "5 s left)\x1b[K")
    assert last.endswith("\x1b[K\n") and "100%" not in last


def test_json_measures_without_printing() -> None:
    out = io.StringIO()
    shown = Reporter(out, "downloading generation 2", SIZES, live=False, quiet=True)
    shown.update(notice(50, 1))
    assert shown.finish(succeeded=True)["bytes"] == 150 * MB
    assert out.getvalue() == ""


@pytest.mark.skipif(shutil.which("systemd-notify") is None, reason="needs systemd-notify")
def test_notifications_of_the_installing_process_reach_the_reporter() -> None:
    """The socket plumbing with systemd's own sd_notify sender (what sysupdate calls)."""
    out = io.StringIO()
    shown = Reporter(out, "installing generation 2", SIZES, live=False)
    script = ("echo copying; "
              "systemd-notify X_SYSUPDATE_PROGRESS=40 X_SYSUPDATE_TRANSFERS_DONE=1 "
              "X_SYSUPDATE_TRANSFERS_LEFT=2; "
              "systemd-notify X_SYSUPDATE_PROGRESS=80 X_SYSUPDATE_TRANSFERS_DONE=2 "
              "X_SYSUPDATE_TRANSFERS_LEFT=1; echo done >&2")
    with tempfile.TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(path)
            status, output = _run_notifying(["sh", "-c", script],
                                            {**os.environ, "NOTIFY_SOCKET": path}, notify, shown)
    assert (status, output) == (0, "copying\ndone")
    assert [line.split(" (")[0] for line in out.getvalue().splitlines()] == [
        "installing generation 2: 62%", "installing generation 2: 82%"]
