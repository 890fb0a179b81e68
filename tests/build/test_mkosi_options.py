"""The mkosi command line uses the option spellings the installed mkosi knows (24: -dir, 25: -directory)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from pydeclos.build.mkosi import long_option


@pytest.mark.needs_mkosi
@pytest.mark.parametrize("what", ["output", "cache", "package-cache", "workspace"])
def test_long_option_is_one_mkosi_accepts(what: str, tmp_path: Path) -> None:
    mkosi = shutil.which("mkosi")
    assert mkosi
    spelling = long_option(mkosi, what)
    summary = subprocess.run([mkosi, "-C", str(tmp_path), f"{spelling}={tmp_path}", "summary"],
                             capture_output=True, text=True)
    assert summary.returncode == 0, summary.stderr
    assert "unrecognized arguments" not in summary.stderr
