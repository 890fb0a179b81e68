"""Conformance, from nixpkgs lib/tests/modules.sh (types-unique.nix):

    checkConfigError '... examples.merged. is defined multiple times ...' config.examples.merged.a
    checkConfigOutput '^"bee"$' config.examples.override.b ./types-unique.nix

Both cases evaluate the same modules: `examples.merged` is broken, yet
`examples.override.b` is readable, because NixOS merges attribute values on demand.

DESIGN §2: `eval --option PATH` "accepts paths into an option's value"; `value()` of one
dict entry merges that entry alone (90ecfe4). DESIGN does not promise laziness otherwise.
"""

from __future__ import annotations

from pydeclos import Module, option
from pydeclos import types as t

from ._support import ev


def test_other_keys_of_a_dict_stay_readable() -> None:
    """config.examples.override.b ./types-unique.nix, with examples.merged broken."""
    declare = Module(options={"examples": option(dict[str, t.unique(dict[str, str])], default={})})
    evaluation = ev(declare, Module(config={"examples": {"merged": {"a": "aye"}}}),
                    Module(config={"examples": {"merged": {"b": "bee"}, "ok": {"b": "bee"}}}))
    assert evaluation.value("examples.ok") == {"b": "bee"}
