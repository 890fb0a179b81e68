"""The examples, evaluated with the real module system and standard library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pydeclos.system import system_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# Examples that need a package installed first: example -> the directory to pip-install.
NEEDS_INSTALL = {"shared-library": EXAMPLES / "shared-library"}


def example_names() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES.glob("*/system.py"))


def install(source: Path, work: Path) -> Path:
    """pip-install `source` into a directory of its own (not into .venv) and return it."""
    target = work / "site"
    build = work / "src"
    subprocess.run(["cp", "-r", str(source), str(build)], check=True)
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                             "--target", str(target), str(build)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return target


def evaluate_example(name: str) -> dict[str, Any]:
    """The example's configuration, through the pipeline every verb uses."""
    config, _ = system_config(EXAMPLES / name / "system.py")
    return config
