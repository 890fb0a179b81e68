"""Markers that skip with a reason, and the builds the image and VM tiers share.

- `needs_root`: mkosi builds disk images as root.
- `needs_mkosi`: mkosi and the tools from scripts/setup-host.
- `vm`: qemu and OVMF.

Builds are session-scoped: one clean build of the fixture tree and one of
examples/minimal serve every test that looks at them, because each costs about a minute
and each boot under software emulation another.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE_TREE = REPO / "tests" / "build" / "fixtures" / "tree"
MINIMAL = REPO / "examples" / "minimal" / "system.py"


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "needs_root" in item.keywords and os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(
                reason="needs root: mkosi builds disk images as root (run the tests as root)"))
        elif "needs_mkosi" in item.keywords and host_tools_problem():
            item.add_marker(pytest.mark.skip(
                reason=f"needs the image tools: {host_tools_problem()}"))
        elif "vm" in item.keywords and vm_problem():
            item.add_marker(pytest.mark.skip(reason=f"needs qemu: {vm_problem()}"))


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
