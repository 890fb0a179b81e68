"""A line as each slow test file ends: when (minutes into the run) and how long it took.

CI stops a run at its time limit before pytest's `--durations` table is printed; these
lines, written as the run goes, still say where the time went. Under xdist they come from
the controller, which counts each file's reports against the node ids the workers collected.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

SLOW_SECONDS = 60.0


def file_of(nodeid: str) -> str:
    """The file part of a node id (`tests/vm/test_switch.py`)."""
    return nodeid.split("::", 1)[0]


class FileClock:
    def __init__(self, terminal: pytest.TerminalReporter) -> None:
        self.terminal = terminal
        self.started = time.time()
        self.expected: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()
        self.first_start: dict[str, float] = {}

    def expect(self, nodeids: list[str]) -> None:
        if not self.expected:  # every worker collects the same ids; count them once
            self.expected.update(file_of(nodeid) for nodeid in nodeids)

    def report(self, report: pytest.TestReport) -> None:
        path = file_of(report.nodeid)
        if report.when == "setup":
            self.first_start.setdefault(path, report.start)
        if report.when != "teardown":
            return
        self.finished[path] += 1
        if self.finished[path] != self.expected.get(path):
            return
        took = report.stop - self.first_start.get(path, report.stop)
        if took >= SLOW_SECONDS:
            minutes = (report.stop - self.started) / 60
            self.terminal.ensure_newline()
            self.terminal.write_line(f"[{minutes:5.1f} min] {path}: {took:.0f} s")


_CLOCK = pytest.StashKey[FileClock]()


def pytest_collection_finish(session: pytest.Session) -> None:
    if _CLOCK in session.config.stash:  # one process: the items left after deselection
        session.config.stash[_CLOCK].expect([item.nodeid for item in session.items])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    config = getattr(node, "config", None)
    if config is not None and _CLOCK in config.stash:
        config.stash[_CLOCK].expect(ids)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Reports reach a hook without the config; a registered object holds the clock. Not in
    an xdist worker: its controller reports."""
    config = session.config
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None or hasattr(config, "workerinput"):
        return
    clock = config.stash[_CLOCK] = FileClock(terminal)
    config.pluginmanager.register(_Reports(clock), "file-clock-reports")


class _Reports:
    def __init__(self, clock: FileClock) -> None:
        self.clock = clock

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.clock.report(report)
