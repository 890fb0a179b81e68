"""Declarations: option(...) fields, declaring twice, apply, read-only, documentation records."""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, option
from pydeclos import types as t
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import (
    DeclarationError,
    MissingValueError,
    OptionTypeError,
    ReadOnlyOptionError,
)


def test_apply_transforms_the_merged_value() -> None:
    declare = Module(options={"names": option(list[str], default=[],
                                              apply=lambda v: sorted(set(v)))})
    evaluation = evaluate(Module(imports=[declare, Module(config={"names": ["b", "a"]}),
                                          Module(config={"names": ["a"]})]))
    assert evaluation.value("names") == ["a", "b"]


def test_read_only_keeps_its_default_and_refuses_definitions() -> None:
    declare = Module(options={"version": option(int, default=3, read_only=True),
                              "given": option(int, read_only=True)})
    evaluation = evaluate(Module(imports=[declare, Module(config={"given": 1})]))
    assert (evaluation.value("version"), evaluation.value("given")) == (3, 1)
    with pytest.raises(ReadOnlyOptionError, match="read-only, but it's set multiple times"):
        evaluate(Module(imports=[declare, Module(config={"version": mk_default(4),
                                                         "given": 1})])).value("version")


def test_declaring_twice_needs_compatible_types_and_one_default() -> None:
    first = Module(options={"x": option(int, default=1, description="X.")})
    evaluation = evaluate(Module(imports=[first, Module(options={"x": option(int)})]))
    assert evaluation.value("x") == 1
    assert len(evaluation.options[-1].declarations) == 2
    with pytest.raises(DeclarationError, match=r"`x` in `.*` is already declared in .*default"):
        evaluate(Module(imports=[first, Module(options={"x": option(int, default=2)})]))
    with pytest.raises(DeclarationError, match="do not combine"):
        evaluate(Module(imports=[first, Module(options={"x": option(str)})]))


def test_a_bad_default_is_located_at_the_declaration_that_gives_it() -> None:
    """The default is a definition written where it was declared: with two declarations,
    the one that gives the default (here the second)."""
    plain = Module(options={"x": option(int)})
    with_default = Module(options={"x": option(int, default="five")})
    with pytest.raises(OptionTypeError) as raised:
        evaluate(Module(imports=[plain, with_default])).value("x")
    assert f'test_declarations.py:{with_default.site.line}`: "five"' in str(raised.value)


def test_a_type_instead_of_an_option_is_explained() -> None:
    with pytest.raises(DeclarationError, match=r"(?s)expected an option declaration at option "
                                               r"path `a.b` but got <class .str.>.*option\(str"):
        evaluate(Module(options={"a": {"b": str}}))


def test_option_records_for_documentation() -> None:
    item = t.submodule({"name": option(str, example="web", description="Item name.")})
    declare = Module(options={
        "items": option(list[item], default=[], description="Items."),
        "secret": option(str, default="", internal=True),
    })
    records = {info.path: info for info in evaluate(declare, run=False).options}
    assert "items.*.name" in records
    name = records["items.*.name"]
    assert (name.type, name.example, name.has_default, name.description) == (
        "str", "web", False, "Item name.")
    assert records["items"].sub_options == ["items.*.name"]
    assert records["secret"].internal
    assert records["items"].declarations[0].startswith("tests/modsys/test_declarations.py:")


def test_every_option_in_the_builtin_module_is_documented() -> None:
    for info in evaluate(Module(), run=False).options:
        assert info.description, info.path


def test_options_without_default_take_their_types_empty_value() -> None:
    sub = t.submodule({"count": option(int, default=13)})
    declare = Module(options={"items": option(list[int]), "table": option(dict[str, int]),
                              "maybe": option(int | None), "sub": option(sub),
                              "number": option(int)})
    evaluation = evaluate(declare)
    assert [evaluation.value(p) for p in ("items", "table", "maybe", "sub")] == [
        [], {}, None, {"count": 13}]
    with pytest.raises(MissingValueError, match="`number` was accessed but has no value"):
        evaluation.value("number")
