"""Lists concatenate by order priority, then module order (imports before the importer)."""

from __future__ import annotations

from pydeclos import Module, mk_after, mk_before, mk_default, mk_order, option
from pydeclos import types as t
from pydeclos.modsys import evaluate

DECLARE = Module(options={"items": option(list[str], default=[]), "text": option(t.lines,
                                                                                  default="")})


def items(*modules: Module, path: str = "items") -> object:
    return evaluate(Module(imports=[DECLARE, *modules])).value(path)


def test_module_order_is_import_order() -> None:
    a, b, c = (Module(config={"items": [name]}) for name in "abc")
    assert items(a, b, c) == ["a", "b", "c"]


def test_imports_come_before_the_importer() -> None:
    inner = Module(config={"items": ["inner"]})
    outer = Module(imports=[inner], config={"items": ["outer"]})
    assert items(outer) == ["inner", "outer"]


def test_order_priority_wins_over_module_order() -> None:
    modules = [
        Module(config={"items": mk_after(["late"])}),
        Module(config={"items": ["plain"]}),
        Module(config={"items": mk_before(["early"])}),
        Module(config={"items": mk_order(10, ["first"])}),
    ]
    assert items(*modules) == ["first", "early", "plain", "late"]


def test_order_inside_one_definition_keeps_written_order() -> None:
    assert items(Module(config={"items": ["x", "y", "z"]})) == ["x", "y", "z"]


def test_order_combines_with_priorities() -> None:
    modules = [
        Module(config={"items": mk_default(["dropped"])}),
        Module(config={"items": mk_after(["b"])}),
        Module(config={"items": ["a"]}),
    ]
    assert items(*modules) == ["a", "b"]


def test_functions_and_dicts_interleave_in_module_order() -> None:
    modules = [
        Module(config=lambda cfg: {"items": ["f1"]}),
        Module(config={"items": ["d2"]}),
        Module(config=lambda cfg: {"items": ["f3"]}),
    ]
    assert items(*modules) == ["f1", "d2", "f3"]


def test_lines_join_with_newlines_in_the_same_order() -> None:
    modules = [
        Module(config={"text": mk_after("last")}),
        Module(config={"text": "one"}),
        Module(config={"text": "two"}),
    ]
    assert items(*modules, path="text") == "one\ntwo\nlast"


def test_a_module_reached_twice_counts_once() -> None:
    shared = Module(config={"items": ["shared"]}, key="shared")
    again = Module(config={"items": ["shared"]}, key="shared")
    assert items(Module(imports=[shared]), Module(imports=[again])) == ["shared"]
    distinct = [Module(config={"items": ["x"]}), Module(config={"items": ["x"]})]
    assert items(*distinct) == ["x", "x"]
