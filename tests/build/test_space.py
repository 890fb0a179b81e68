"""A full cache or output disk stops the build with an error naming the path and the space
needed, before mkosi starts or, if it fills up during the build, at once (apt would wait
forever)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.build.host import SYSTEM_PATH, HostTools
from pydeclos.build.mkosi import run_build
from pydeclos.build.progress import Progress
from pydeclos.build.space import DiskSpaceError, Need, check_space
from pydeclos.cli import main
from tests.build.mounts import tmpfs
from tests.conftest import FIXTURE_TREE

pytestmark = pytest.mark.needs_root


def assert_refused(result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output


def test_too_small_a_disk_is_named_with_the_space_needed(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "64m") as small:
        with pytest.raises(DiskSpaceError) as caught:
            check_space([Need(small / "out", 1 << 30, "output directory", "use another -o")])
    message = str(caught.value)
    assert f"{small / 'out'}" in message
    assert "needs about 1.0 GiB" in message and "use another -o" in message


def test_needs_on_one_file_system_add_up(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "fs", "60m") as fs:
        check_space([Need(fs / "a", 40 << 20, "cache", "x")])
        with pytest.raises(DiskSpaceError, match="needs about 80 MiB"):
            check_space([Need(fs / "a", 40 << 20, "cache", "x"),
                         Need(fs / "b", 40 << 20, "output directory", "y")])


def test_a_disk_filling_up_during_the_build_stops_it(tmp_path: Path) -> None:
    """What apt does on a full disk: it waits forever. The watch must end that."""
    with tmpfs(tmp_path / "cache", "32m") as cache:
        filler = ["sh", "-c", f"dd if=/dev/zero of={cache}/fill bs=1M; echo full; sleep 600"]
        tools = HostTools(mkosi="mkosi", mkosi_version=0, path=SYSTEM_PATH)
        started = time.monotonic()
        with pytest.raises(DiskSpaceError) as caught:
            run_build(filler, tools, tmp_path / "log", Progress(quiet=True), False,
                      watch=[Need(cache, 1 << 30, "build cache", "set $PYDECLOS_CACHE")])
        assert time.monotonic() - started < 60
    message = str(caught.value)
    assert f"the build cache {cache} ran out of disk space" in message
    assert "set $PYDECLOS_CACHE" in message
    assert "ran out of disk space" in (tmp_path / "log").read_text()


@pytest.mark.needs_mkosi
def test_build_into_a_small_output_disk_fails_before_mkosi(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "64m") as small:
        result = CliRunner().invoke(main, ["build", str(FIXTURE_TREE), "-o", str(small / "out")])
        assert_refused(result, "not enough disk space", str(small), "needs about 1.0 GiB",
                       "give -o a directory on a larger disk")
        assert not (small / "out").exists()


@pytest.mark.needs_mkosi
def test_build_with_a_small_cache_disk_fails_before_mkosi(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "cache", "64m") as cache:
        result = CliRunner().invoke(main, ["build", str(FIXTURE_TREE), "-o", str(tmp_path / "o")],
                                    env={**os.environ, "PYDECLOS_CACHE": str(cache)})
        assert_refused(result, "not enough disk space", str(cache), "needs about 2.0 GiB",
                       "$PYDECLOS_CACHE")
    assert not (tmp_path / "o").exists()
