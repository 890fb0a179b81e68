"""Conformance: further cases from nixpkgs lib/tests/modules.sh fixtures and lib/modules.nix
rules — defaults that fail their type (mkDefinition.nix viaOptionDefault), module-level
priorities, fixpoint replacement of definitions, and submodule-level read-only/apply.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, mk_force, mk_if, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev, value


def test_default_not_of_type() -> None:
    """checkConfigError 'A definition for option .viaOptionDefault. is not of type .boolean.*'
    config.viaOptionDefault ./mkDefinition.nix: the default is checked like a definition."""
    declare = Module(options={"via_option_default": option(bool, default="yes")})
    with pytest.raises(e.OptionTypeError, match=r"`via_option_default` is not of type `bool`"):
        value("via_option_default", declare)


def test_module_level_mk_default() -> None:
    """lib/modules.nix: `config = mkDefault { ... }` pushes the priority onto every option."""
    declare = Module(options={"x": option(int, default=0), "y": option(int, default=0)})
    evaluation = ev(declare, Module(config=mk_default({"x": 1, "y": 1})), Module(config={"x": 2}))
    assert (evaluation.value("x"), evaluation.value("y")) == (2, 1)


def test_definitions_of_a_rerun_module_are_replaced() -> None:
    """DESIGN §2: "a module's definitions from an earlier run are replaced, not accumulated,
    when it re-runs" (NixOS computes each module's config once, from the final config)."""
    declare = Module(options={"x": option(int, default=0), "seen": option(list[str], default=[])})
    evaluation = ev(declare, Module(config=lambda cfg: {"seen": [f"x={cfg.x}"]}),
                    Module(config={"x": 1}))
    assert evaluation.value("seen") == ["x=1"]


def test_lists_from_functions_and_dicts_keep_import_order() -> None:
    """DESIGN §2 module order: definitions concatenate in import order, whether a module's
    config is a dict or a function."""
    declare = Module(options={"xs": option(list[str], default=[])})
    assert value("xs", declare, Module(config=lambda cfg: {"xs": ["a"]}),
                 Module(config={"xs": ["b"]}), Module(config=lambda cfg: {"xs": ["c"]})) == [
        "a", "b", "c"]


def test_read_only_inside_a_submodule() -> None:
    """lib/modules.nix readOnly inside a submodule: the error names the full path."""
    sub = t.submodule({"version": option(int, default=1, read_only=True)})
    declare = Module(options={"s": option(dict[str, sub], default={})})
    assert value("s.a.version", declare, Module(config={"s": {"a": {}}})) == 1
    with pytest.raises(e.ReadOnlyOptionError, match=r"`s.a.version` is read-only"):
        value("s", declare, Module(config={"s": {"a": {"version": 2}}}))


def test_apply_on_a_submodule_option() -> None:
    """lib/modules.nix: `apply` gets the merged submodule value."""
    sub = t.submodule({"port": option(int, default=80)})
    declare = Module(options={"s": option(sub, default={}, apply=lambda v: v["port"] + 1)})
    assert value("s", declare, Module(config={"s": {"port": 8000}})) == 8001


def test_mk_force_on_a_whole_submodule_value() -> None:
    """lib/modules.nix: a forced definition of a submodule option drops the plain ones."""
    sub = t.submodule({"a": option(int, default=0), "b": option(int, default=0)})
    declare = Module(options={"s": option(sub, default={})})
    assert value("s", declare, Module(config={"s": {"a": 1, "b": 1}}),
                 Module(config={"s": mk_force({"a": 2})})) == {"a": 2, "b": 0}


def test_assertion_entries_are_type_checked() -> None:
    """nixos/modules/misc/assertions.nix: `assertion` is a bool option of the entry."""
    with pytest.raises(e.OptionTypeError, match=r"`assertions.*assertion` is not of type `bool`"):
        ev(Module(config={"assertions": [{"assertion": 1, "message": "m"}]})).to_data()


def test_lines_in_dict_entries() -> None:
    """lib/types.nix attrsOf lines: each entry's definitions join with newlines."""
    declare = Module(options={"files": option(dict[str, t.lines], default={})})
    assert value("files", declare, Module(config={"files": {"a": "1"}}),
                 Module(config={"files": {"a": "2", "b": "3"}})) == {"a": "1\n2", "b": "3"}


def test_unknown_option_inside_mk_if_in_a_submodule_entry() -> None:
    """lib/modules.nix: unknown options inside submodule definitions are errors even under a
    true `mkIf` (and name the full path)."""
    declare = Module(options={"s": option(dict[str, t.submodule({"a": option(int, default=0)})],
                                          default={})})
    with pytest.raises(e.UnknownOptionError, match=r"`s.x.b` does not exist"):
        value("s", declare, Module(config={"s": {"x": mk_if(True, {"b": 1})}}))


def test_submodule_definition_closes_over_the_outer_config() -> None:
    """lib/types.nix submodule: a definition may be a function module that refers to the
    outer `config` (a closure); it follows the outer value (DESIGN §2 fixpoint)."""
    declare = Module(options={"base_port": option(int, default=8000),
                              "hosts": option(dict[str, t.submodule({"port": option(int)})],
                                              default={})})
    define = Module(config=lambda outer: {"hosts": {
        "a": lambda cfg: {"port": outer.base_port + 1}}})
    assert value("hosts.a.port", declare, define) == 8001
    assert value("hosts.a.port", declare, define, Module(config={"base_port": 9000})) == 9001


def test_default_computed_from_other_options() -> None:
    """NixOS `default = config.x + 1` (mkOptionDefault, priority 1500): in pydeclos a config
    function gives `mk_override(1500, ...)`, which loses to any mk_default."""
    from pydeclos import mk_override

    declare = Module(options={"x": option(int, default=1), "y": option(int)})
    computed = Module(config=lambda cfg: {"y": mk_override(1500, cfg.x + 1)})
    assert value("y", declare, computed) == 2
    assert value("y", declare, computed, Module(config={"y": mk_default(10)})) == 10


def test_unique_counts_the_parts_of_a_mk_merge() -> None:
    """lib/modules.nix: mkMerge is discharged into several definitions before the type
    merges, so `unique` sees two."""
    from pydeclos import mk_merge

    declare = Module(options={"x": option(t.unique(list[int]))})
    with pytest.raises(e.UniqueOptionError, match="`x` is defined multiple times"):
        value("x", declare, Module(config={"x": mk_merge([[1], [2]])}))
