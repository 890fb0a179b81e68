"""PENDING — options without a default whose type has an empty value.

Derived from nixpkgs lib/tests/modules.sh "## defaults" (defaults.nix):

    checkConfigOutput "\\[\\]" config.list ./defaults.nix        # listOf int, no default
    checkConfigOutput "{}" config.attrs ./defaults.nix           # attrs
    checkConfigOutput "{}" config.attrsOf ./defaults.nix         # attrsOf int
    checkConfigOutput "null" config.null ./defaults.nix          # nullOr int
    checkConfigOutput "{}" config.submodule ./defaults.nix       # submodule { }
    checkConfigOutput "\\[\\]" config.unique ./defaults.nix      # unique (listOf int)
    checkConfigError 'The option .int. was accessed but has no value defined.' config.int
    checkConfigOutput "ok" config.result ./defaults.nix          # submodule emptyValue
                                                                 # evaluates sub-option defaults

NixOS (recent lib/modules.nix): an option with neither a default nor definitions takes its
type's `emptyValue` when the type has one (lists, attribute sets, nullOr, submodules —
whose value then has the sub-options' defaults); `int`, `str`, … still fail with "was
accessed but has no value defined".

pydeclos now: every such read raises MissingValueError "The option `x` was accessed but has
no value defined." (the `int` case passes in test_nix_options.py).

DESIGN: silent (§2 says to follow NixOS where DESIGN says nothing). Note the research file
(module-system-semantics.md) only mentions `emptyValue` for lazyAttrsOf, so this is a recent
NixOS change the contract does not spell out; decide before implementing.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, option
from pydeclos import types as t

from .._support import value


@pytest.mark.parametrize(("type_", "empty"), [
    (list[int], []),
    (dict, {}),
    (dict[str, int], {}),
    (int | None, None),
    (t.submodule({}), {}),
    (t.unique(list[int], message="hi"), []),
])
def test_defaults_empty_values(type_: object, empty: object) -> None:
    """defaults.nix: config.list / attrs / attrsOf / null / submodule / unique."""
    assert value("x", Module(options={"x": option(type_)})) == empty


def test_defaults_submodule_empty_value_evaluates_sub_option_defaults() -> None:
    """defaults.nix config.result: a submodule option without default is its sub-options'
    defaults ({enabled = true; count = 13;})."""
    sub = t.submodule({"enabled": option(bool, default=True), "count": option(int, default=13)})
    assert value("x", Module(options={"x": option(sub)})) == {"enabled": True, "count": 13}
