"""Build phases a person can follow: which step runs, and how long each one took.

On a terminal the running phase ticks its elapsed time in place; elsewhere (CI logs) each
phase prints one line when it starts and one when it ends. The durations also go into the
result (`--json`), which is why they are recorded even when nothing is shown.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

# mkosi's own log lines that start a phase (mkosi 24 and 25 word them the same).
MKOSI_PHASE_MARKERS: tuple[tuple[str, str], ...] = (
    ("Installing Debian", "install packages"),
    ("Copying cached trees", "install packages"),
    ("Copying in extra file trees", "assemble"),
    ("Generating disk image", "partitions"),
)


class Progress:
    """Records phase durations and, unless quiet, shows them on `stream`."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = not quiet and self.stream.isatty()
        self.durations: dict[str, float] = {}
        self.started = time.monotonic()
        self.current: str | None = None
        self.current_started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def phase(self, name: str) -> None:
        """End the running phase (if any) and start `name`."""
        with self._lock:
            self._finish_locked()
            self.current = name
            self.current_started = time.monotonic()
            if self.quiet:
                return
            if self.live:
                self._draw_locked()
            else:
                print(f"==> {name}", file=self.stream, flush=True)
        if self.live and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def advance_to(self, name: str) -> None:
        """Start `name` unless it already ran: mkosi's initrd sub-build repeats markers."""
        if name != self.current and name not in self.durations:
            self.phase(name)

    def mkosi_line(self, line: str) -> None:
        """Move to the phase a line of mkosi's log announces, if it announces one."""
        for marker, name in MKOSI_PHASE_MARKERS:
            if marker in line:
                self.advance_to(name)
                return

    def message(self, text: str) -> None:
        """A line of other output (mkosi's, with --verbose) that must not garble the ticker."""
        with self._lock:
            if self.live:
                self.stream.write("\r\x1b[K")
            self.stream.write(text if text.endswith("\n") else text + "\n")
            if self.live and self.current:
                self._draw_locked()
            self.stream.flush()

    def warning(self, text: str) -> None:
        """A warning from evaluation, shown even with --json (it goes to stderr)."""
        with self._lock:
            if self.live:
                self.stream.write("\r\x1b[K\x1b[33mwarning: " + text + "\x1b[0m\n")
                if self.current:
                    self._draw_locked()
            else:
                self.stream.write(f"warning: {text}\n")
            self.stream.flush()

    def finish(self) -> float:
        """End the last phase; the total elapsed seconds."""
        self._stop.set()
        with self._lock:
            self._finish_locked()
        return time.monotonic() - self.started

    def abort(self) -> None:
        """Stop showing progress because the build failed: the running phase gets a ✗."""
        self._stop.set()
        with self._lock:
            if self.current is not None and not self.quiet:
                seconds = time.monotonic() - self.current_started
                prefix = "\r\x1b[K" if self.live else ""
                print(f"{prefix}  ✗ {self.current:<20} {seconds:6.1f} s", file=self.stream,
                      flush=True)
            self.current = None

    def _finish_locked(self) -> None:
        if self.current is None:
            return
        seconds = time.monotonic() - self.current_started
        self.durations[self.current] = round(self.durations.get(self.current, 0.0) + seconds, 1)
        if not self.quiet:
            prefix = "\r\x1b[K" if self.live else ""
            print(f"{prefix}  ✓ {self.current:<20} {seconds:6.1f} s", file=self.stream, flush=True)
        self.current = None

    def _draw_locked(self) -> None:
        seconds = time.monotonic() - self.current_started
        total = time.monotonic() - self.started
        self.stream.write(f"\r\x1b[K  … {self.current:<20} {seconds:6.1f} s   (total {total:.0f} s)")
        self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                if self.current is not None:
                    self._draw_locked()
