"""Real system files for the lowering tests, each snapshotted as a whole tree by
test_cases.py: `cases/<name>/system.py`, and the systems of `tool_cases/` that
test_tools.py feeds to the real tools (empty, rich, root-layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydeclos.library import library_dir, stdlib_modules
from pydeclos.modsys import Module, evaluate
from pydeclos.system import system_config

CASES = Path(__file__).resolve().parent
DIRECTORIES = (CASES, CASES.parent / "tool_cases")


def _systems() -> dict[str, Path]:
    return {p.parent.name: p for directory in DIRECTORIES for p in directory.glob("*/system.py")}


def case_names() -> list[str]:
    return sorted(_systems())


def evaluate_case(name: str) -> dict[str, Any]:
    """The case's evaluated configuration, through the pipeline every verb uses."""
    config, _ = system_config(_systems()[name])
    return config


def evaluate_definitions(definitions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The evaluated configuration of a system whose one module defines `definitions`."""
    data: dict[str, Any] = evaluate(Module(config=definitions or {}), prelude=stdlib_modules(),
                                    modules_path=library_dir()).to_data()
    return data
