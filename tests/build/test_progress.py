"""The build's progress phases: time spent waiting for another build's cache lock is its
own phase, not added to the phase that ran before it."""

from __future__ import annotations

import fcntl
import io
import threading
import time
from pathlib import Path

from pydeclos.build.mkosi import LOCK_PHASE, CacheDirs, exclusive
from pydeclos.build.progress import Progress


def test_waiting_for_the_cache_lock_is_its_own_phase(tmp_path: Path) -> None:
    cache = CacheDirs.under(tmp_path / "cache")
    cache.create()
    shown = io.StringIO()
    progress = Progress(stream=shown)
    progress.phase("lower")
    with (cache.packages / ".pydeclos-build.lock").open("w") as other_build:
        fcntl.flock(other_build, fcntl.LOCK_EX)
        releaser = threading.Timer(1.5, lambda: fcntl.flock(other_build, fcntl.LOCK_UN))
        releaser.start()
        started = time.monotonic()
        with exclusive(cache, progress):
            waited = time.monotonic() - started
            progress.advance_to("install packages")
        releaser.join()
    progress.finish()
    assert waited >= 1.4
    assert progress.durations["lower"] < 1.0
    assert progress.durations[LOCK_PHASE] >= 1.4
    assert "waiting for the cache lock" in shown.getvalue()
    assert f"✓ {LOCK_PHASE}" in shown.getvalue()


def test_a_free_cache_lock_adds_no_phase(tmp_path: Path) -> None:
    cache = CacheDirs.under(tmp_path / "cache")
    cache.create()
    progress = Progress(quiet=True)
    progress.phase("lower")
    with exclusive(cache, progress):
        progress.advance_to("install packages")
    progress.finish()
    assert list(progress.durations) == ["lower", "install packages"]
