"""Conformance, from nixpkgs lib/tests/modules.sh "## defaults" (defaults.nix):

    checkConfigOutput "\\[\\]" config.list ./defaults.nix        # listOf int, no default
    checkConfigOutput "{}" config.attrs / config.attrsOf ./defaults.nix
    checkConfigOutput "null" config.null ./defaults.nix          # nullOr int
    checkConfigOutput "{}" config.submodule ./defaults.nix       # submodule { }
    checkConfigOutput "\\[\\]" config.unique ./defaults.nix      # unique (listOf int)
    checkConfigOutput "ok" config.result ./defaults.nix          # submodule emptyValue
                                                                 # evaluates sub-option defaults

NixOS (recent lib/modules.nix): an option with neither a default nor definitions takes its
type's `emptyValue` if the type has one; `int`, `str`, … still fail with "was accessed but
has no value defined" (that case is in test_nix_options.py).

DESIGN is silent (follow NixOS); research/module-system-semantics.md only mentions
`emptyValue` for lazyAttrsOf — implemented in 8326d17.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, option
from pydeclos import types as t

from ._support import value


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
