"""Real system files for the lowering tests: `cases/<name>/system.py`, each snapshotted
as a whole tree by test_cases.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydeclos.library import library_dir, stdlib_modules
from pydeclos.modsys import Module, evaluate
from pydeclos.system import system_config

CASES = Path(__file__).resolve().parent


def case_names() -> list[str]:
    return sorted(p.parent.name for p in CASES.glob("*/system.py"))


def evaluate_case(name: str) -> dict[str, Any]:
    """The case's evaluated configuration, through the pipeline every verb uses."""
    config, _ = system_config(CASES / name / "system.py")
    return config


def evaluate_definitions(definitions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The evaluated configuration of a system whose one module defines `definitions`."""
    data: dict[str, Any] = evaluate(Module(config=definitions or {}), prelude=stdlib_modules(),
                                    modules_path=library_dir()).to_data()
    return data
