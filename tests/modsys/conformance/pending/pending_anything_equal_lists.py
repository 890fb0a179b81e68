"""PENDING — `anything`: equal lists defined twice.

Derived from nixpkgs lib/tests/modules.sh (recent):

    checkConfigOutput '^\\[1,"a",{"x":null}\\]$' config.value.list ./types-anything/equal-atoms.nix
    checkConfigError 'The option .* has conflicting definition values' config.value
        ./types-anything/lists.nix     # different lists still conflict

NixOS: `anything` does not concatenate lists, but equal lists merge like other equal values
(mergeEqualOption); only different lists conflict.

pydeclos now: any two list definitions of an `anything` value raise
ConflictingDefinitionsError "has conflicting definitions (lists of `anything` are not
concatenated)", even when they are equal. (Different lists conflicting passes in
test_nix_types.py.)

DESIGN: silent beyond "anything"; research/module-system-semantics.md: "`anything`: recursive
attrset merge; other values must be equal" — equal lists should therefore merge.
"""

from __future__ import annotations

from pydeclos import Module, option
from pydeclos import types as t

from .._support import value


def test_anything_equal_lists() -> None:
    """./types-anything/equal-atoms.nix config.value.list"""
    declare = Module(options={"value": option(t.anything)})
    item = [1, "a", {"x": None}]
    assert value("value.list", declare, Module(config={"value": {"list": item}}),
                 Module(config={"value": {"list": item}})) == item
