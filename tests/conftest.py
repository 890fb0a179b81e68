"""Markers that skip with a reason, and the builds the image and VM tiers share.

- `needs_root`: mkosi builds disk images as root.
- `needs_mkosi`: mkosi and the tools from scripts/setup-host.
- `vm`: qemu and OVMF.
- `needs_chromium`: Debian's chromium and chromium-driver, and selenium (the option page).

A tier that cannot run here skips and says why, except in strict mode
(`PYDECLOS_STRICT_TIERS=1`, set by .ci/run): there it fails, so a CI machine that lost a
tool cannot pass by skipping. The summary ends with each tier's counts.

Builds are session-scoped: one clean build of the fixture tree and one of
examples/minimal serve every test that looks at them, because each costs about a minute
and each boot under software emulation another.

`make test` runs two pytest-xdist workers: a VM under emulation leaves part of the machine
idle (single-threaded phases, waits), which a second VM or build takes up; on the 2-core
CI machine that saves about an eighth of the run (docs/building.md, "Timings"). Every test file is
one unit of work, the files that share the switch builds one group (`work_group`), and the
longest groups are handed out first (`GROUP_ORDER`), so the two workers end near the same
time. Builds still run one at a time (they share the cache's lock); VMs run side by side.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# A plugin of this suite (pytest_plugins below), imported here first for its helper.
pytest.register_assert_rewrite("tests.file_clock")
from tests.file_clock import file_of  # noqa: E402

pytest_plugins = ["tests.file_clock"]

REPO = Path(__file__).resolve().parent.parent
FIXTURE_TREE = REPO / "tests" / "build" / "fixtures" / "tree"
MINIMAL = REPO / "examples" / "minimal" / "system.py"
# A whole run's peak on disk (9.5 GB measured) with room to spare (docs/building.md, "Timings").
MIN_FREE_GB = 12


@functools.cache
def host_tools_problem() -> str | None:
    """Why the image tier cannot run here, or None."""
    from pydeclos.build.errors import HostToolsMissingError
    from pydeclos.build.host import check_host_tools

    try:
        check_host_tools()
    except HostToolsMissingError as error:
        return str(error)
    return None


@functools.cache
def vm_problem() -> str | None:
    from pydeclos.vm.errors import VmToolMissingError
    from pydeclos.vm.firmware import find_firmware
    from pydeclos.vm.qemu import qemu_binary

    try:
        qemu_binary()
        find_firmware()
    except VmToolMissingError as error:
        return str(error)
    return None


@functools.cache
def chromium_problem() -> str | None:
    """Why the browser test cannot run here, or None (scripts/setup-host installs both)."""
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found (scripts/setup-host installs them)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


STRICT_VARIABLE = "PYDECLOS_STRICT_TIERS"
TIERS = ("unit", "image", "vm")
_UNAVAILABLE = pytest.StashKey[str]()


def strict() -> bool:
    return os.environ.get(STRICT_VARIABLE) == "1"


def unavailable(reason: str) -> None:
    """Skip the running test for `reason`, or fail it in strict mode."""
    if strict():
        pytest.fail(f"{STRICT_VARIABLE}=1, so this tier must run here, but it {reason}",
                    pytrace=False)
    pytest.skip(reason)


def tier(item: pytest.Item) -> str:
    """The tier of a test, by its markers (not its keywords: those hold directory names)."""
    if item.get_closest_marker("vm"):
        return "vm"
    if item.get_closest_marker("needs_root") or item.get_closest_marker("needs_mkosi"):
        return "image"
    return "unit"


def _tier_problem(item: pytest.Item) -> str | None:
    if item.get_closest_marker("needs_root") and os.geteuid() != 0:
        return "needs root: mkosi builds disk images as root (run the tests as root)"
    if item.get_closest_marker("needs_mkosi") and host_tools_problem():
        return f"needs the image tools: {host_tools_problem()}"
    if item.get_closest_marker("vm") and vm_problem():
        return f"needs qemu: {vm_problem()}"
    if item.get_closest_marker("needs_chromium") and chromium_problem():
        return f"needs headless Chromium: {chromium_problem()}"
    return None


# Files that share the session's switch builds (tests/switch/builds.py) run in one worker:
# another worker would build them again. Collection fails if a file using the
# `switch_builds` fixture is missing here (test_fleet calls switch_builds_in itself).
SWITCH_BUILDS_GROUP = "switch-builds"
SHARED_SWITCH_BUILDS = ("tests/switch/test_plan.py", "tests/switch/test_publish.py",
                        "tests/vm/test_switch.py", "tests/vm/test_fleet.py")
# The longest units of work first (minutes on a 2-core machine, one worker alone): the switch
# builds' group ~31, the root layout ~12, examples/minimal and the web server ~3 each. The
# image tier's files follow, then the VM tier's short ones, then the unit tier.
GROUP_ORDER = (SWITCH_BUILDS_GROUP, "tests/vm/test_root_layout.py", "tests/vm/test_minimal.py",
               "tests/vm/test_web.py")


def work_group(nodeid: str) -> str:
    """The xdist unit of work of a test: its file, or the group of files sharing builds."""
    path = file_of(nodeid)
    return SWITCH_BUILDS_GROUP if path in SHARED_SWITCH_BUILDS else path


def _work_rank(item: pytest.Item) -> tuple[int, int]:
    group = work_group(item.nodeid)
    if group in GROUP_ORDER:
        return (0, GROUP_ORDER.index(group))
    return ({"image": 1, "vm": 2, "unit": 3}[tier(item)], 0)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's own `loadgroup` reads marks through a node attribute pytest 9 no longer has,
    so the units of work (`work_group`) are made here; they go out in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class WorkGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return work_group(nodeid)

    return WorkGroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker collects, in the same order
        items.sort(key=_work_rank)  # stable: a file's tests keep their order
    for item in items:
        path = file_of(item.nodeid)
        if "switch_builds" in getattr(item, "fixturenames", ()) and path not in SHARED_SWITCH_BUILDS:
            raise pytest.UsageError(f"{path} uses the switch_builds fixture: add it to "
                                    "SHARED_SWITCH_BUILDS in tests/conftest.py, so that it "
                                    "runs in the worker that built them")
        # Read by the summary; reports carry it from the xdist workers, which collected.
        item.user_properties.append(("tier", tier(item)))
        problem = _tier_problem(item)
        if problem is None:
            continue
        if strict():
            item.stash[_UNAVAILABLE] = problem
        else:
            item.add_marker(pytest.mark.skip(reason=problem))


def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = item.stash.get(_UNAVAILABLE, None)
    if problem is not None:
        unavailable(problem)


def pytest_report_header(config: pytest.Config) -> str:
    """The free space where the run writes: the image and VM tiers need some GB of it."""
    import tempfile

    where = tempfile.gettempdir()
    free = shutil.disk_usage(where).free / 1e9
    low = "" if free >= MIN_FREE_GB else \
        f" (the image and VM tiers write up to {MIN_FREE_GB} GB: builds may fail for space)"
    return f"free space in {where}: {free:.1f} GB{low}"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line per tier, so a tier that stopped running shows as 0 passed."""
    counts = {name: {"passed": 0, "failed": 0, "skipped": 0} for name in TIERS}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            name = dict(getattr(report, "user_properties", ())).get("tier")
            if name is None or getattr(report, "when", None) not in ("setup", "call", "teardown"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            counts[name]["failed" if outcome == "error" else outcome] += 1
    terminalreporter.section("tiers")
    mode = "strict: a tier that cannot run fails" if strict() else \
        f"a tier that cannot run skips ({STRICT_VARIABLE}=1 makes it fail)"
    for name in TIERS:
        c = counts[name]
        terminalreporter.write_line(
            f"{name:>5}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped")
    terminalreporter.write_line(mode)


@contextmanager
def scratch(request: pytest.FixtureRequest, factory: pytest.TempPathFactory,
            name: str) -> Iterator[Path]:
    """A directory for a module's builds or VM disks, removed when the fixture ends unless a
    test failed meanwhile (then it stays for a look). Images are hundreds of MB each: kept
    to the end of a run they add up to 16 GB, and a full disk fails every later test."""
    failed_before = request.session.testsfailed
    path = factory.mktemp(name)
    yield path
    if request.session.testsfailed == failed_before:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def unprivileged() -> Iterator[None]:
    """Run the body with the effective uid of `nobody`, as a user without root would."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory: pytest.TempPathFactory):
    """Generation 1 of the hand-written fixture tree (a clean build directory)."""
    from pydeclos.build import build_tree

    out = tmp_path_factory.mktemp("fixture-out")
    result = build_tree(FIXTURE_TREE, out)
    return result


@pytest.fixture(scope="session")
def minimal_build(tmp_path_factory: pytest.TempPathFactory):
    """Generation 1 of examples/minimal, built through `pydeclos build` (evaluate, lower)."""
    from pydeclos.build.system import build_system

    out = tmp_path_factory.mktemp("minimal-out")
    return build_system(MINIMAL, out)


def copy_tree(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, symlinks=True)
    return destination
