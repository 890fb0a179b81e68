"""Builds that are stopped, killed, run at once, or pointed at a bad -o.

Real `pydeclos build` processes with real mkosi: a build stopped with SIGTERM cleans up as
after Ctrl-C (mkosi stopped, no staging left); one killed with SIGKILL leaves its staging
and tree behind, which the next build removes; two builds into one OUT get consecutive
generations.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.conftest import FIXTURE_TREE, MINIMAL, REPO


def start_build(target: Path, out: Path, env: dict[str, str] | None = None
                ) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pydeclos", "build", str(target), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_for_mkosi(out: Path, timeout: float = 900) -> Path:
    """The staging directory, once mkosi runs on it (other builds may hold the cache)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stage in out.glob(".staging-*") if out.is_dir() else []:
            if processes_mentioning(f"--output-dir={stage}") or processes_mentioning(
                    f"--output-directory={stage}"):
                time.sleep(3)  # let it get into the middle of something
                return stage
        time.sleep(0.5)
    raise AssertionError("mkosi never started")


def wait_gone(text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while processes_mentioning(text):
        assert time.monotonic() < deadline, f"still running: {processes_mentioning(text)}"
        time.sleep(0.5)


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
@pytest.mark.parametrize(("signal_number", "status", "name", "target"), [
    (signal.SIGTERM, 143, "SIGTERM", MINIMAL),
    (signal.SIGINT, 130, "Ctrl-C", FIXTURE_TREE),
])
def test_sigterm_and_ctrl_c_stop_mkosi_and_leave_nothing(
        tmp_path: Path, signal_number: int, status: int, name: str, target: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    build = start_build(target, out, {"TMPDIR": str(scratch)})
    stage = wait_for_mkosi(out)
    build.send_signal(signal_number)
    _, stderr = build.communicate(timeout=120)
    assert build.returncode == status, stderr
    assert f"build stopped by {name}" in stderr and "Traceback" not in stderr
    wait_gone(str(stage))
    assert not out.exists(), list(out.iterdir())
    assert list(scratch.iterdir()) == []


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_a_killed_builds_leftovers_are_removed_by_the_next_build(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch)}
    out = tmp_path / "out"
    killed = start_build(MINIMAL, out, env)
    stage = wait_for_mkosi(out)
    trees = list(scratch.glob("pydeclos-tree-*"))
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    wait_gone(str(stage))  # mkosi ends with its parent, it does not write on
    assert stage.is_dir() and len(trees) == 1 and trees[0].is_dir()  # what SIGKILL leaves

    nxt = start_build(MINIMAL, out, env)
    stdout, stderr = nxt.communicate(timeout=1200)
    assert nxt.returncode == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["1"]
    assert list(scratch.iterdir()) == []


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_two_builds_into_one_output_get_consecutive_generations(tmp_path: Path) -> None:
    out = tmp_path / "out"
    builds = [start_build(FIXTURE_TREE, out), start_build(FIXTURE_TREE, out)]
    for build in builds:
        _, stderr = build.communicate(timeout=1200)
        assert build.returncode == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["1", "2"]
    for version in (1, 2):
        manifest = json.loads((out / str(version) / "generation.json").read_text())
        assert manifest["version"] == version
        assert f"--image-version={version}" in (out / str(version) / "build.log").read_text()


def system_that_fails_to_evaluate(tmp_path: Path) -> Path:
    system = tmp_path / "system.py"
    system.write_text('raise RuntimeError("evaluated")\n')
    return system


@pytest.mark.parametrize("below", ["", "out"])
def test_an_output_that_cannot_be_a_directory_fails_before_evaluation(tmp_path: Path,
                                                                      below: str) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / below if below else tmp_path / "a-file"
    result = CliRunner().invoke(main, ["build", str(system_that_fails_to_evaluate(tmp_path)),
                                       "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "evaluated" not in result.output
    assert "is not a directory" in result.output and "-o" in result.output


@pytest.mark.needs_root
def test_an_unwritable_output_fails_before_evaluation(tmp_path: Path) -> None:
    from tests.build.mounts import tmpfs

    with tmpfs(tmp_path / "ro", "1m", read_only=True) as read_only:
        result = CliRunner().invoke(main, ["build",
                                           str(system_that_fails_to_evaluate(tmp_path)),
                                           "-o", str(read_only / "out")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "evaluated" not in result.output
    assert "read-only file system" in result.output


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_build_shows_the_warnings_of_evaluation(tmp_path: Path) -> None:
    system = tmp_path / "system.py"
    system.write_text(textwrap.dedent(f"""
        imports = ["{MINIMAL}"]
        config = {{
            "warnings": ["careful: this system is only a test"],
            "image": {{"mirror": "http://127.0.0.1:9/debian"}},
        }}
    """))
    lowered = CliRunner().invoke(main, ["lower", str(system), "-o", str(tmp_path / "tree")])
    built = CliRunner().invoke(main, ["build", str(system), "-o", str(tmp_path / "out")])
    assert "warning: careful: this system is only a test" in lowered.stderr
    assert "warning: careful: this system is only a test" in built.stderr, built.output
    assert built.exit_code == 1 and "cannot reach the package mirror" in built.output


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_an_unreadable_host_file_names_the_users_line_in_build_too(tmp_path: Path) -> None:
    """`lower` and `build` lower through one function, so both name system.py:N."""
    system = tmp_path / "system.py"
    system.write_text(textwrap.dedent(f"""
        imports = ["{MINIMAL}"]
        config = {{
            "environment": {{"etc": {{"app.conf": {{"source": "{tmp_path}/gone.conf"}}}}}},
        }}
    """))
    out = tmp_path / "out"
    for verb in (["lower", "-o", str(tmp_path / "tree")], ["build", "-o", str(out)]):
        result = CliRunner().invoke(main, [verb[0], str(system), *verb[1:]])
        assert result.exit_code == 1, result.output
        assert f"{tmp_path}/gone.conf" in result.output
        assert "system.py:4" in result.output, result.output
        assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())  # no half-made generation
