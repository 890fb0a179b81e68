"""SIGTERM handled like Ctrl-C: the build stops and cleans up what it wrote.

Python ends at SIGTERM without running `finally` blocks, which would leave mkosi running
and a staging directory behind. Inside `sigterm_interrupts()` the first SIGTERM raises
`Terminated` (a KeyboardInterrupt) in the main thread instead; further ones are ignored
while the cleanup runs.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process was asked to stop with SIGTERM."""


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
