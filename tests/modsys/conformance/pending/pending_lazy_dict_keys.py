"""PENDING — one broken entry of a dict option makes every other entry unreadable.

Derived from nixpkgs lib/tests/modules.sh (types-unique.nix):

    checkConfigError '... examples.merged. is defined multiple times ...' config.examples.merged.a
    checkConfigOutput '^"bee"$' config.examples.override.b ./types-unique.nix

Both cases evaluate the same modules: `examples.merged` is broken, yet
`examples.override.b` is readable, because NixOS merges attribute values on demand (with
`lazyAttrsOf` in the fixture; `attrsOf` is lazy in the values too).

pydeclos now: `Evaluation.value("examples.ok")` raises the UniqueOptionError of
`examples.merged`, since the whole dict option is merged before the path is walked.
(test_nix_types.py checks both cases with separate modules.)

DESIGN §2: `eval --option PATH` "accepts paths into an option's value"; DESIGN does not
promise laziness (dict[str, X] is NixOS attrsOf), so this is low priority: the whole
configuration fails either way, only `eval --option` of a sibling is affected.
"""

from __future__ import annotations

from pydeclos import Module, option
from pydeclos import types as t

from .._support import ev


def test_other_keys_of_a_dict_stay_readable() -> None:
    """config.examples.override.b ./types-unique.nix, with examples.merged broken."""
    declare = Module(options={"examples": option(dict[str, t.unique(dict[str, str])], default={})})
    evaluation = ev(declare, Module(config={"examples": {"merged": {"a": "aye"}}}),
                    Module(config={"examples": {"merged": {"b": "bee"}, "ok": {"b": "bee"}}}))
    assert evaluation.value("examples.ok") == {"b": "bee"}
