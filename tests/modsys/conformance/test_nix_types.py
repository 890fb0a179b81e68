"""Conformance, from nixpkgs lib/tests/modules.sh: merge rules of the types (anything,
unique, attrsOf with conditionals, nested attrsOf, nullOr, lines, listOf and order, path,
port, enum).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pytest

from pydeclos import (
    Module,
    mk_after,
    mk_before,
    mk_default,
    mk_force,
    mk_if,
    mk_merge,
    mk_order,
    option,
)
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev, value


def merged(type_: Any, *configs: Any, path: str = "value") -> Any:
    modules = [Module(options={"value": option(type_)})]
    modules += [Module(config={"value": c}) for c in configs]
    return value(path, *modules)


# -- types.anything -------------------------------------------------------------------------

def test_anything_nested_attrs() -> None:
    """checkConfigOutput '^null$' config.value.l1.l2.l3.foo ./types-anything/nested-attrs.nix:
    attribute sets are merged recursively."""
    result = merged(t.anything, {"foo": None}, {"l1": {"foo": None}},
                    {"l1": {"l2": {"foo": None}}}, {"l1": {"l2": {"l3": {"foo": None}}}})
    assert result == {"foo": None, "l1": {"foo": None, "l2": {"foo": None,
                                                            "l3": {"foo": None}}}}


def test_anything_lists_with_different_definitions_conflict() -> None:
    """checkConfigError 'The option .* has conflicting definition(s| values)' config.value
    ./types-anything/lists.nix"""
    with pytest.raises(e.ConflictingDefinitionsError, match="The option `value` has conflicting "
                                                            "definition"):
        merged(t.anything, [1], [2])


@pytest.mark.parametrize(("name", "atom"), [
    ("int", 0), ("bool", False), ("string", ""), ("path", "/some/path"), ("null", None),
    ("float", 0.1),
])
def test_anything_equal_atoms(name: str, atom: Any) -> None:
    """checkConfigOutput config.value.<kind> ./types-anything/equal-atoms.nix: equal atoms
    defined twice merge."""
    assert merged(t.anything, {name: atom}, {name: atom}, path=f"value.{name}") == atom


def test_anything_different_atoms_conflict() -> None:
    """lib/types.nix anything: other values must be equal."""
    with pytest.raises(e.ConflictingDefinitionsError, match=r"`value.x`"):
        merged(t.anything, {"x": 1}, {"x": 2})


def test_anything_mk_mods() -> None:
    """./types-anything/mk-mods.nix: every mk* modifier is applied inside `anything`."""
    declare = Module(options={"value": option(t.anything)})
    define = Module(config=mk_merge([
        {"value": {"mkiffalse": mk_if(False, {})}},
        {"value": {"mkiftrue": mk_if(True, {})}},
        {"value": {"mkdefault": mk_default(0)}},
        {"value": {"mkdefault": 1}},
        {"value": {"mkmerge": mk_merge([{}])}},
        {"value": {"mkbefore": mk_before(True)}},
        {"value": {"nested": mk_merge([
            {"foo": mk_default(0), "bar": mk_if(False, 0)},
            mk_if(True, {"foo": mk_if(True, mk_force(1)), "bar": {"baz": mk_default("baz")}}),
        ])}},
    ]))
    result = value("value", declare, define)
    assert "mkiffalse" not in result  # 'attribute .* not found' config.value.mkiffalse
    assert result["mkiftrue"] == {}
    assert result["mkdefault"] == 1
    assert result["mkmerge"] == {}
    assert result["mkbefore"] is True
    assert result["nested"] == {"foo": 1, "bar": {"baz": "baz"}}


# -- types.unique ---------------------------------------------------------------------------

UNIQUE_MESSAGE = ("We require a single definition, because seeing the whole value at once helps "
                  "us maintain critical invariants of our system.")
EXAMPLES = Module(options={"examples": option(
    dict[str, t.unique(dict[str, str], message=UNIQUE_MESSAGE)], default={})})
UNIQUE_DEFS = [
    Module(config={"examples": {"merged": {"b": "bee"}}}),
    Module(config={"examples": {"override": mk_force({"b": "bee"})}}),
    Module(config={"examples": {"merged": {"a": "aye"}, "override": {"a": "aye"},
                                "bad_lazy_type": {"a": True}}}),
]


def test_types_unique_requires_a_single_definition() -> None:
    """checkConfigError 'The option .examples\\.merged. is defined multiple times while it.s
    expected to be unique' + the user message, ./types-unique.nix"""
    with pytest.raises(e.UniqueOptionError) as raised:
        value("examples.merged", EXAMPLES, *UNIQUE_DEFS)
    message = str(raised.value)
    assert "The option `examples.merged` is defined multiple times while it's expected to be " \
           "unique." in message
    assert UNIQUE_MESSAGE in message


def test_types_unique_inner_type_checks_the_values() -> None:
    """checkConfigError 'A definition for option .examples\\.badLazyType\\.a. is not of type
    .string.' ./types-unique.nix"""
    with pytest.raises(e.OptionTypeError, match=r"A definition for option "
                                                r"`examples.bad_lazy_type.a` is not of type `str`"):
        value("examples", EXAMPLES, Module(config={"examples": {"bad_lazy_type": {"a": True}}}))


def test_types_unique_overriding_still_works() -> None:
    """checkConfigOutput '^"bee"$' config.examples.override.b ./types-unique.nix: uniqueness
    is checked after priority filtering."""
    assert value("examples.override", EXAMPLES, UNIQUE_DEFS[1],
                 Module(config={"examples": {"override": {"a": "aye"}}})) == {"b": "bee"}


def test_package_is_unique() -> None:
    """lib/types.nix package: one definition only ("is defined multiple times")."""
    with pytest.raises(e.UniqueOptionError, match="defined multiple times"):
        merged(t.package, "hello", "hello")


# -- attrsOf ---------------------------------------------------------------------------------

def test_attrs_of_conditional_check() -> None:
    """checkConfigOutput '^true$' config.conditionalWorks ./declare-attrsOf.nix
    ./attrsOf-conditional-check.nix: a key whose definitions are all `mkIf false` is absent."""
    declare = Module(options={"value": option(dict[str, str], default={}),
                              "conditional_works": option(bool, default=False)})
    define = Module(config=lambda cfg: {"value": {"foo": mk_if(False, "should not be defined")},
                                        "conditional_works": "foo" not in cfg.value})
    evaluation = ev(declare, define)
    assert evaluation.value("conditional_works") is True
    assert evaluation.value("value") == {}


def test_declare_nested_attrs() -> None:
    """checkConfigOutput '^3$' config.value.b.d.e ./declare-nested-attrs.nix"""
    type_ = dict[str, dict[str, dict[str, int]]]
    assert merged(type_, {"a": {}}, {"b": {"c": {"x": 1}}}, {"b": {"d": {"e": 3}}},
                  path="value.b.d.e") == 3


def test_declare_nested_attrs_unsound() -> None:
    """checkConfigError 'A definition for option .* is not of type .*' config.value.b.f
    ./declare-nested-attrs-unsound.nix"""
    with pytest.raises(e.OptionTypeError, match=r"`value.b.f` is not of type"):
        merged(dict[str, dict[str, dict[str, int]]], {"b": {"f": 3}})


def test_attrs_of_per_key_priorities() -> None:
    """lib/types.nix attrsOf: priorities apply per key."""
    assert merged(dict[str, int], {"a": mk_default(1), "b": 2}, {"a": 3}) == {"a": 3, "b": 2}


# -- nullOr -------------------------------------------------------------------------------

def test_null_or_all_null() -> None:
    """lib/types.nix nullOr: all definitions null gives null."""
    assert merged(int | None, None, None) is None


def test_null_or_defined_both_null_and_not_null() -> None:
    """lib/types.nix nullOr: "The option `x' is defined both null and not null"."""
    with pytest.raises(e.NullMixError, match=r"`value` is defined both (null|None) and not (null|None)"):
        merged(int | None, None, 1)


# -- lines, lists, order ------------------------------------------------------------------------

def test_lines_join_in_module_order() -> None:
    """lib/types.nix lines: definitions joined with newlines (DESIGN: module order = import
    order, NixOS would put the later module first)."""
    assert merged(t.lines, "a", "b") == "a\nb"


def test_list_of_concatenates_in_import_order() -> None:
    """lib/types.nix listOf: concatenation. DESIGN §2 overrides NixOS' reversed module list:
    [A, B] gives A's entries first."""
    assert merged(list[str], ["a"], ["b"], ["c"]) == ["a", "b", "c"]


def test_list_order_priorities() -> None:
    """lib/modules.nix mkOrder/mkBefore/mkAfter: order priority first, then module order."""
    assert merged(list[str], mk_after(["late"]), ["plain1"], mk_before(["early"]),
                  mk_order(10, ["first"]), ["plain2"]) == ["first", "early", "plain1",
                                                             "plain2", "late"]


def test_list_mk_merge_and_mk_if_inside() -> None:
    """lib/modules.nix: mkMerge/mkIf inside a list definition."""
    assert merged(list[str], mk_merge([["a"], mk_if(False, ["b"]), mk_after(["z"]), ["c"]])) == [
        "a", "c", "z"]


def test_list_of_only_the_best_priority() -> None:
    """lib/modules.nix: only the definitions with the best priority are concatenated."""
    assert merged(list[str], ["a"], mk_force(["b"]), ["c"]) == ["b"]


def test_lines_with_order() -> None:
    """lib/types.nix lines with mkBefore/mkAfter (ordering applies to every type)."""
    assert merged(t.lines, mk_after("z"), "m", mk_before("a")) == "a\nm\nz"


# -- path, port, enum -----------------------------------------------------------------------

def test_path_must_be_absolute() -> None:
    """types.nix path (pathWith absolute): a relative path is not of type."""
    with pytest.raises(e.OptionTypeError, match=r"`value` is not of type `absolute path`"):
        merged(t.Path, "relative/path")


def test_equal_paths_merge() -> None:
    """types.nix path: merged with mergeEqualOption."""
    assert merged(t.Path, "/srv/www", "/srv/www/") == "/srv/www"
    with pytest.raises(e.ConflictingDefinitionsError):
        merged(t.Path, "/a", "/b")


@pytest.mark.parametrize(("good", "bad"), [(0, -1), (65535, 65536)])
def test_port_bounds(good: int, bad: int) -> None:
    """types.port = ints.u16."""
    assert merged(t.Port, good) == good
    with pytest.raises(e.OptionTypeError):
        merged(t.Port, bad)


def test_enum_rejects_other_values() -> None:
    """types.enum: "is not of type `one of ...`"."""
    assert merged(Literal["a", "b"], "a") == "a"
    with pytest.raises(e.OptionTypeError, match=r"`value` is not of type `Literal\['a', 'b'\]`"):
        merged(Literal["a", "b"], "c")


def test_enum_declarations_merge_by_union() -> None:
    """lib/types.nix enum typeMerge: declaring an enum twice unites the values."""
    evaluation = ev(Module(options={"value": option(Literal["a"])}),
                    Module(options={"value": option(Literal["b"])}),
                    Module(config={"value": "b"}))
    assert evaluation.value("value") == "b"


def test_bool_conflict() -> None:
    """types.bool merges with mergeEqualOption: true and false conflict."""
    with pytest.raises(e.ConflictingDefinitionsError, match="conflicting definition values"):
        merged(bool, True, False)


def test_mk_force_submodule_entry_in_list_context() -> None:
    """lib/modules.nix: mkForce inside mkIf still counts as a forced definition; all forced
    list definitions concatenate, the plain one is dropped."""
    declare = Module(options={"xs": option(list[int], default=[])})
    assert value("xs", declare, Module(config={"xs": [1]}), Module(config={"xs": mk_force([2])}),
                 Module(config={"xs": mk_if(True, mk_force([3]))})) == [2, 3]


# -- checks of compound types -----------------------------------------------------------------

@pytest.mark.parametrize(("type_", "bad", "description"), [
    (list[int], {"a": 1}, "list[int]"),
    (dict[str, int], [1], "dict[str, int]"),
    (t.submodule({"x": option(int, default=1)}), 3, "submodule"),
    (int | None, "x", "int | None"),
])
def test_compound_type_checks(type_: Any, bad: Any, description: str) -> None:
    """lib/types.nix: listOf/attrsOf/submodule/nullOr reject values of another shape with
    "A definition for option `value' is not of type `<description>'"."""
    with pytest.raises(e.OptionTypeError, match=rf"A definition for option `value` is not of "
                                                rf"type `{re.escape(description)}`"):
        merged(type_, bad)


def test_list_elements_are_checked() -> None:
    """lib/types.nix listOf: each element is checked against the element type."""
    with pytest.raises(e.OptionTypeError, match=r"`value.*` is not of type `int`"):
        merged(list[int], [1, "two"])


def test_list_elements_discharge_properties() -> None:
    """lib/types.nix listOf: each element goes through mergeDefinitions, so `mkIf` (and other
    properties) work on single elements."""
    assert merged(list[int], [1, mk_if(False, 2), mk_if(True, 3), mk_default(4)]) == [1, 3, 4]


def test_null_or_submodule() -> None:
    """lib/types.nix nullOr submodule: null stays null, a dict is evaluated."""
    sub = t.submodule({"port": option(int, default=80)})
    assert merged(sub | None, None) is None
    assert merged(sub | None, {}) == {"port": 80}


def test_attrs_of_list_order_per_key() -> None:
    """lib/modules.nix: order priorities apply inside each attrsOf entry."""
    assert merged(dict[str, list[str]], {"k": mk_after(["z"])}, {"k": ["a"]},
                  {"k": mk_before(["0"])}) == {"k": ["0", "a", "z"]}


def test_anything_equal_lists() -> None:
    """./types-anything/equal-atoms.nix config.value.list"""
    declare = Module(options={"value": option(t.anything)})
    item = [1, "a", {"x": None}]
    assert value("value.list", declare, Module(config={"value": {"list": item}}),
                 Module(config={"value": {"list": item}})) == item
