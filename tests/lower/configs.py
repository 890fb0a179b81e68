"""Kept for test_tools.py only (the lead reworks it on main): `config({...})` and
`rich_config()` are now real evaluations (tests/lower/cases), not hand-built dicts. Delete
this file once test_tools.py imports from tests.lower.cases."""

from __future__ import annotations

from typing import Any

from tests.lower.cases import evaluate_case, evaluate_definitions


def config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return evaluate_definitions(overrides)


def rich_config() -> dict[str, Any]:
    return evaluate_case("rich")
