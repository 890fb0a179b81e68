"""Conformance, from nixpkgs lib/tests/modules.sh "## Freeform modules" (freeform-*.nix).

NixOS sets `freeformType` on the top-level evaluation in these fixtures; pydeclos has freeform
only on submodules (`t.submodule(options, freeform=dict[str, X])`, DESIGN §2), so each case
runs inside a submodule option `c`. The fixtures' freeform type is
`attrsOf (either str (attrsOf str))`.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, mk_force, mk_if, mk_merge, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev, value

FREEFORM = dict[str, str | dict[str, str]]


def declare(options: dict | Module | list | None = None, freeform: object = FREEFORM) -> Module:
    return Module(options={"c": option(t.submodule(options or {}, freeform=freeform), default={})})


def test_freeform_assigning_without_declared_option() -> None:
    """checkConfigOutput '^"24"$' config.value ./freeform-attrsOf.nix ./define-value-string.nix"""
    assert value("c.value", declare(), Module(config={"c": {"value": "24"}})) == "24"


def test_freeform_no_assignments() -> None:
    """checkConfigOutput '^{}$' config ./freeform-attrsOf.nix"""
    assert value("c", declare()) == {}


def test_freeform_type_is_checked() -> None:
    """checkConfigError 'A definition for option .* is not of type .*' config.value
    ./freeform-attrsOf.nix ./define-value-list.nix"""
    with pytest.raises(e.OptionTypeError, match=r"A definition for option `c(\.value)?` is not "
                                                r"of type"):
        value("c", declare(), Module(config={"c": {"value": []}}))


def test_freeform_properties_are_applied() -> None:
    """checkConfigOutput '^"yes"$' config.value ./freeform-attrsOf.nix
    ./define-value-string-properties.nix"""
    assert value("c.value", declare(),
                 Module(config={"c": {"value": mk_default("def")}}),
                 Module(config={"c": {"value": mk_merge([mk_if(False, "nope"), "yes"])}})) == "yes"


def test_freeform_declared_options_keep_their_own_type() -> None:
    """checkConfigOutput '^false$' config.enable / '^"24"$' config.value ./freeform-attrsOf.nix
    ./define-value-string.nix ./declare-enable.nix"""
    evaluation = ev(declare({"enable": option(bool, default=False)}),
                    Module(config={"c": {"value": "24"}}))
    assert evaluation.value("c.enable") is False
    assert evaluation.value("c.value") == "24"


def test_freeform_declared_option_depends_on_freeform_value_via_getattr() -> None:
    """freeform-str-dep-unstr.nix: a declared option defined from a freeform value when it is
    there (written with `getattr(cfg, name, None)`; the `name in cfg` spelling is in
    test_nix_freeform_nested.py)."""
    sub = Module(options={"foo": option(str | None, default=None)},
                 config=lambda cfg: {"foo": mk_if(getattr(cfg, "value", None) is not None,
                                                  getattr(cfg, "value", None))})
    assert value("c.foo", declare(sub)) is None
    assert value("c.foo", declare(sub), Module(config={"c": {"value": "24"}})) == "24"


def test_freeform_value_depends_on_declared_option() -> None:
    """checkConfigOutput '^"24"$' config.foo ./freeform-lazyAttrsOf.nix
    ./freeform-unstr-dep-str.nix ./define-value-string.nix: a freeform value defined from a
    declared option. NixOS needs lazyAttrsOf here (attrsOf gives infinite recursion); the
    pydeclos fixpoint (DESIGN §2) settles it with `dict[str, X]`."""
    sub = Module(options={"value": option(str | None, default=None)},
                 config=lambda cfg: {"foo": mk_if(cfg.value is not None, cfg.value)})
    assert value("c.foo", declare(sub), Module(config={"c": {"value": "24"}})) == "24"
    with pytest.raises(e.UnknownOptionError, match="`c.foo` does not exist"):
        value("c.foo", declare(sub))


def test_freeform_submodules() -> None:
    """checkConfigOutput '^10$' config.free.xxx.foo ./freeform-submodules.nix: a freeform type
    of submodules gives each undeclared key a submodule value."""
    free = dict[str, t.submodule({"foo": option(int, default=10)})]
    assert value("c.xxx.foo", declare(freeform=free), Module(config={"c": {"xxx": {}}})) == 10
    assert value("c.yyy.foo", declare(freeform=free),
                 Module(config={"c": {"yyy": {"foo": 11}}})) == 11


def test_freeform_values_merge_across_modules() -> None:
    """lib/modules.nix: unmatched definitions from several modules merge with the freeform
    type (attrsOf merges per key)."""
    assert value("c", declare(freeform=dict[str, dict[str, str]]),
                 Module(config={"c": {"x": {"a": "1"}}}),
                 Module(config={"c": {"x": {"b": "2"}}})) == {"x": {"a": "1", "b": "2"}}


def test_freeform_attrsof_either() -> None:
    """ABORT_ON_WARN=1 checkConfigOutput "^42$" config.number.int ./freeform-attrsof-either.nix:
    a freeform type with a union merges values of either member, without warnings."""
    declare = Module(options={"c": option(t.submodule({}, freeform=dict[str, int | str]),
                                          default={})})
    evaluation = ev(declare, Module(config={"c": {"number": 42, "text": "x"}}))
    assert evaluation.value("c") == {"number": 42, "text": "x"}
    assert evaluation.warnings == []


def test_freeform_priorities_per_key() -> None:
    """lib/modules.nix: freeform definitions go through mergeDefinitions, so priorities apply
    per freeform key."""
    assert value("c", declare(), Module(config={"c": {"a": "plain", "b": mk_default("low")}}),
                 Module(config={"c": {"a": mk_force("forced"), "b": "high"}})) == {
        "a": "forced", "b": "high"}


def test_freeform_conflict_names_the_key() -> None:
    """lib/modules.nix: two different freeform values at the same priority conflict, and the
    message names the freeform option path."""
    with pytest.raises(e.ConflictingDefinitionsError, match=r"`c.a`"):
        value("c", declare(), Module(config={"c": {"a": "x"}}), Module(config={"c": {"a": "y"}}))


def test_undeclared_key_without_freeform_is_unknown() -> None:
    """lib/modules.nix: without freeformType, an unmatched definition inside a submodule is
    "The option `c.value' does not exist"."""
    plain = Module(options={"c": option(t.submodule({"enable": option(bool, default=False)}),
                                        default={})})
    with pytest.raises(e.UnknownOptionError, match=r"The option `c.value` does not exist"):
        value("c", plain, Module(config={"c": {"value": "24"}}))
