"""Evaluate a throw-away system.py against the standard library."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pydeclos.library import stdlib_modules
from pydeclos.modsys import evaluate


@pytest.fixture
def system(tmp_path: Path) -> Callable[[str], Any]:
    """`system("config = {...}")` evaluates that system file and returns the result."""

    def run(source: str) -> Any:
        path = tmp_path / "system.py"
        path.write_text(textwrap.dedent(source))
        return evaluate(path, prelude=stdlib_modules())

    return run
