"""Paths of the examples, and evaluation of one against the standard library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydeclos.library import stdlib_modules
from pydeclos.modsys import evaluate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def evaluate_example(path: Path) -> Any:
    return evaluate(path, prelude=stdlib_modules())
