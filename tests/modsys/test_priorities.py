"""Priorities: only the definitions with the best (lowest) priority count."""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, mk_force, mk_override, option
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import ConflictingDefinitionsError

DECLARE = Module(options={"x": option(int, default=1), "names": option(list[str], default=["d"])})


def value(*configs: object, path: str = "x") -> object:
    modules = [DECLARE, *(Module(config=config) for config in configs)]
    return evaluate(Module(imports=modules)).value(path)


def test_default_when_nothing_defines() -> None:
    assert value() == 1


def test_plain_beats_default() -> None:
    assert value({"x": 2}) == 2


def test_mk_default_beats_option_default_but_loses_to_plain() -> None:
    assert value({"x": mk_default(3)}) == 3
    assert value({"x": mk_default(3)}, {"x": 4}) == 4


def test_mk_force_beats_plain() -> None:
    assert value({"x": 4}, {"x": mk_force(5)}) == 5


def test_mk_override_numbers() -> None:
    assert value({"x": mk_override(10, 6)}, {"x": mk_override(20, 7)}) == 6


def test_equal_priority_conflict() -> None:
    with pytest.raises(ConflictingDefinitionsError, match="conflicting definition values"):
        value({"x": 4}, {"x": 5})


def test_equal_values_at_equal_priority_are_fine() -> None:
    assert value({"x": 4}, {"x": 4}) == 4


def test_lists_only_merge_best_priority() -> None:
    assert value({"names": mk_default(["a"])}, {"names": ["b"]}, path="names") == ["b"]
    assert value({"names": ["a"]}, {"names": ["b"]}, path="names") == ["a", "b"]
    assert value(path="names") == ["d"]


def test_force_on_a_set_is_pushed_down() -> None:
    declare = Module(options={"s": {"a": option(int), "b": option(int)}})
    result = evaluate(Module(imports=[
        declare,
        Module(config={"s": {"a": 1, "b": 2}}),
        Module(config={"s": mk_force({"a": 10, "b": 20})}),
    ])).to_data()
    assert result["s"] == {"a": 10, "b": 20}


def test_the_outer_priority_of_nested_overrides_counts() -> None:
    """mk_force(mk_default(x)) is a forced definition: the outermost override decides,
    as in NixOS (the inner one is only unwrapped)."""
    assert value({"x": 4}, {"x": mk_force(mk_default(5))}) == 5
    assert value({"x": 4}, {"x": mk_default(mk_force(5))}) == 4
    assert value({"x": mk_override(10, mk_override(2000, 6))}, {"x": mk_override(20, 7)}) == 6
