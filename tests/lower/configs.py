"""Evaluated configurations for the lowering tests, made by the real module system.

`config({...})` evaluates a system whose only module defines `{...}`; `rich_config()` is
the `cases/rich/system.py` case. Nothing here restates a default. (test_tools.py still
imports these two; new tests use `cases.evaluate_case`.)
"""

from __future__ import annotations

from typing import Any

from pydeclos.library import library_dir, stdlib_modules
from pydeclos.modsys import Module, evaluate
from tests.lower.cases import evaluate_case


def config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The evaluated configuration of a system file holding only `overrides`."""
    data: dict[str, Any] = evaluate(Module(config=overrides or {}), prelude=stdlib_modules(),
                                    modules_path=library_dir()).to_data()
    return data


def rich_config() -> dict[str, Any]:
    return evaluate_case("rich")
