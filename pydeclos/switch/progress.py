"""Progress of an install, in bytes, from what systemd-sysupdate tells its service manager.

systemd-sysupdate (257) sends `X_SYSUPDATE_PROGRESS=<overall %>` with
`X_SYSUPDATE_TRANSFERS_DONE`/`_LEFT` to `$NOTIFY_SOCKET` as its downloads (systemd-pull) or
copies (systemd-import) go on. The overall figure gives each transfer an equal share, so a
verity partition of 15 MB counts as much as a /usr of 90 MB; with the artifacts' sizes from
the build's manifest (in transfer order: /usr, verity, UKI) the share of the transfer in
progress is turned back into bytes, which gives a rate and a time left that mean something.

On a terminal the figures are one line redrawn in place; elsewhere (a journal, a pipe) a
plain line at each quarter, so logs stay short and free of control characters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

QUARTERS = (25, 50, 75, 100)


@dataclass(frozen=True)
class Notice:
    """One X_SYSUPDATE_PROGRESS datagram."""

    overall: int
    done: int  # transfers finished
    left: int  # transfers not finished, the one in progress included


def parse_notice(datagram: bytes) -> Notice | None:
    """The progress fields of an sd_notify datagram, or None when it carries none."""
    fields: dict[str, str] = {}
    for line in datagram.decode(errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value.strip()
    try:
        overall = int(fields["X_SYSUPDATE_PROGRESS"].rstrip("%"))
        done = int(fields.get("X_SYSUPDATE_TRANSFERS_DONE", "0"))
        left = int(fields.get("X_SYSUPDATE_TRANSFERS_LEFT", "0"))
    except (KeyError, ValueError):
        return None
    return Notice(min(max(overall, 0), 100), max(done, 0), max(left, 0))


def bytes_done(notice: Notice, sizes: Sequence[int]) -> int | None:
    """Bytes written so far, when `sizes` has one entry per transfer (else None)."""
    count = notice.done + notice.left
    if count == 0 or count != len(sizes) or notice.done > count:
        return None
    if notice.overall >= 100:
        return sum(sizes)
    # overall = (100·done + share)/count, share being the current transfer's percent.
    share = min(max(notice.overall * count - 100 * notice.done, 0), 100)
    current = sizes[notice.done] if notice.done < count else 0
    return sum(sizes[:notice.done]) + current * share // 100


def megabytes(size: float) -> str:
    return f"{size / 1e6:.1f} MB"


@dataclass
class Reporter:
    """Shows an install's progress: `live` redraws one line (a terminal), else quarter lines."""

    stream: TextIO
    what: str  # e.g. "downloading generation 2"
    sizes: Sequence[int]
    live: bool
    quiet: bool = False  # only measure (for --json)
    clock: Callable[[], float] = time.monotonic
    started: float = -1.0
    last_bytes: int = 0
    last_percent: int = 0
    shown_quarter: int = 0
    drew: bool = False
    result: dict[str, Any] | None = None  # set by finish()

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def total(self) -> int:
        return sum(self.sizes)

    def update(self, notice: Notice) -> None:
        done = bytes_done(notice, self.sizes)
        if done is not None and self.total:
            self.last_bytes = max(self.last_bytes, done)
            percent = 100 * self.last_bytes // self.total
        else:
            percent = notice.overall
        self.last_percent = max(self.last_percent, percent)
        if self.quiet:
            return
        if self.live:
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.drew = True
        else:
            reached = [q for q in QUARTERS if q <= self.last_percent and q > self.shown_quarter]
            if reached:
                self.shown_quarter = reached[-1]
                self.stream.write(self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        seconds = max(self.clock() - self.started, 1e-6)
        text = f"{self.what}: {self.last_percent}%"
        if not self.total or not self.last_bytes:
            return text
        rate = self.last_bytes / seconds
        text += f" ({megabytes(self.last_bytes)} of {megabytes(self.total)}, " \
                f"{megabytes(rate)}/s"
        if self.live and 0 < self.last_bytes < self.total and rate > 0:
            text += f", {(self.total - self.last_bytes) / rate:.0f} s left"
        return text + ")"

    def finish(self, succeeded: bool) -> dict[str, Any]:
        """End the live line; the figures for `--json` (bytes written, seconds)."""
        seconds = self.clock() - self.started
        if succeeded:
            self.last_bytes, self.last_percent = self.total or self.last_bytes, 100
        self.result = {"bytes": self.last_bytes if succeeded else None,
                       "seconds": round(seconds, 1)}
        if self.quiet:
            return self.result
        if self.live and self.drew:
            self.stream.write("\r" + self.line() + "\x1b[K\n")
        elif succeeded and self.shown_quarter < 100 and not self.live:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
        return self.result
