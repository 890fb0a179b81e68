"""Each type: what it accepts, and how several definitions merge."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from pydeclos import Module, mk_default, mk_if, option
from pydeclos import types as t
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import (
    ConflictingDefinitionsError,
    NullMixError,
    OptionTypeError,
    UniqueOptionError,
)


def merged(type_: Any, *values: Any) -> Any:
    modules = [Module(options={"x": option(type_)})]
    modules += [Module(config={"x": value}) for value in values]
    return evaluate(Module(imports=modules)).value("x")


@pytest.mark.parametrize(("type_", "good", "bad"), [
    (bool, True, 1),
    (int, 3, True),
    (int, -3, 3.5),
    (float, 1.5, "1.5"),
    (float, 2, False),
    (str, "a", b"a"),
    (Literal["a", "b"], "b", "c"),
    (Literal[1, 2], 1, True),
    (t.Port, 65535, 65536),
    (t.Port, 0, -1),
    (t.Path, "/srv/www", "srv/www"),
    (t.Path, "/srv", "/srv/../etc"),
    (t.package, "libc6:amd64", "Not A Package"),
    (list[int], [1, 2], [1, "2"]),
    (dict[str, int], {"a": 1}, {"a": "1"}),
    (dict[str, int], {}, {1: 1}),
    (int | None, None, "x"),
    (int | str, "x", 1.5),
    (tuple[int, str], (1, "a"), (1, 2)),
])
def test_check(type_: Any, good: Any, bad: Any) -> None:
    assert merged(type_, good) == (list(good) if isinstance(good, tuple) else good)
    with pytest.raises(OptionTypeError, match="is not of type"):
        merged(type_, bad)


@pytest.mark.parametrize("type_", [bool, int, str, float, Literal["a", "b"], t.Port, t.anything])
def test_scalars_must_agree(type_: Any) -> None:
    value = {bool: True, int: 1, str: "a", float: 1.0, t.Port: 1, t.anything: "a"}.get(type_, "a")
    other = {bool: False, int: 2, str: "b", float: 2.0, t.Port: 2, t.anything: "b"}.get(type_, "b")
    assert merged(type_, value, value) == value
    with pytest.raises(ConflictingDefinitionsError):
        merged(type_, value, other)


def test_paths_are_normalised_before_comparing() -> None:
    assert merged(t.Path, "/srv//www/", "/srv/./www") == "/srv/www"


def test_lines_concatenate() -> None:
    assert merged(t.lines, "a", "b\nc") == "a\nb\nc"


def test_unique_and_package_take_one_definition() -> None:
    assert merged(t.unique(int), 1) == 1
    with pytest.raises(UniqueOptionError, match="expected to be unique.\nuse one list"):
        merged(t.unique(list[int], message="use one list"), [1], [2])
    with pytest.raises(UniqueOptionError):
        merged(t.package, "htop", "htop")
    assert merged(t.unique(int), mk_default(1), 2) == 2


def test_null_or() -> None:
    assert merged(int | None, None, None) is None
    assert merged(int | None, mk_default(None), 3) == 3
    with pytest.raises(NullMixError, match="defined both null and not null"):
        merged(int | None, None, 3)


def test_union_merges_as_the_member_every_definition_fits() -> None:
    assert merged(list[int] | str, [1], [2]) == [1, 2]
    assert merged(int | list[str], ["a"], ["b"]) == ["a", "b"]
    with pytest.raises(UniqueOptionError):
        merged(int | list[str], 1, ["b"])


def test_dicts_merge_per_key_and_lists_inside() -> None:
    assert merged(dict[str, list[int]], {"a": [1]}, {"a": [2], "b": [3]}) == {"a": [1, 2],
                                                                             "b": [3]}
    with pytest.raises(ConflictingDefinitionsError, match=r"`x.a`"):
        merged(dict[str, int], {"a": 1}, {"a": 2})
    assert merged(dict[str, int], {"a": mk_default(1)}, {"a": 2}) == {"a": 2}


def test_anything_merges_dicts_recursively() -> None:
    assert merged(t.anything, {"a": {"b": 1}}, {"a": {"c": mk_if(True, 2)}}) == {
        "a": {"b": 1, "c": 2}}
    with pytest.raises(ConflictingDefinitionsError, match="conflicting option types"):
        merged(t.anything, {"a": 1}, "text")


def test_enum_declared_twice_unites() -> None:
    modules = [Module(options={"x": option(Literal["a"])}), Module(options={"x": option(
        Literal["b"])}), Module(config={"x": "b"})]
    assert evaluate(Module(imports=modules)).value("x") == "b"


def test_type_descriptions() -> None:
    assert option(dict[str, list[int] | None]).type.description == "dict[str, list[int] | None]"
    assert option(Literal["a", "b"]).type.description == "Literal['a', 'b']"
    assert option(t.Port | None).type.description == "port (0–65535) | None"


def test_anything_does_not_concatenate_lists() -> None:
    assert merged(t.anything, [1, mk_if(False, 2)]) == [1]
    assert merged(t.anything, [1, {"a": None}], [1, {"a": None}]) == [1, {"a": None}]
    with pytest.raises(ConflictingDefinitionsError, match="has conflicting definition values"):
        merged(t.anything, [1], [2])


def test_one_entry_of_a_dict_is_readable_beside_a_broken_one() -> None:
    declare = Module(options={"table": option(dict[str, t.unique(int)], default={})})
    evaluation = evaluate(Module(imports=[
        declare, Module(config={"table": {"broken": 1, "ok.key": 2}}),
        Module(config={"table": {"broken": 3}})]))
    assert evaluation.value('table."ok.key"') == 2
    assert evaluation.value("table.ok.key") == 2
    with pytest.raises(UniqueOptionError, match=r"`table.broken`"):
        evaluation.value("table")
