"""PENDING — "Did you mean" lists differ from NixOS' (distance measure and ordering).

Derived from nixpkgs lib/tests/modules.sh "# Option name suggestions" (error-typo-*.nix).

NixOS (2025-10): suggests every declared sibling within a small edit distance, closest
first, up to three: `far` → "Did you mean `bar`, `baz` or `foo`?" (all at distance 1..2).

pydeclos now (pydeclos/modsys/suggest.py, difflib ratio ≥ 0.6): `far` → "Did you mean
`bar`?" only; `prot` → only `services.myservice.port`; `enble` → "`enable`, `enabled` or
`ebe`" (NixOS: "`enable`, `ebe` or `enabled`"). The nested/outside/deep cases pass (see
test_nix_options.py).

DESIGN §2: '"Did you mean" suggests close names, prefixes included' — it does not fix the
measure, so these are lower priority; an edit-distance measure (Levenshtein ≤ 2, ties
alphabetical) would match NixOS.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from .._support import ev, value


def test_error_typo_multiple_suggestions() -> None:
    """checkConfigError 'Did you mean .bar., .baz. or .foo.\\?' config
    ./error-typo-multiple-suggestions.nix"""
    declare = Module(options={name: option(bool, default=False) for name in ("foo", "bar", "baz")})
    with pytest.raises(e.UnknownOptionError) as raised:
        ev(declare, Module(config={"far": True})).to_data()
    assert "Did you mean `bar`, `baz` or `foo`?" in str(raised.value)


def test_error_typo_submodule() -> None:
    """checkConfigError 'Did you mean .services\\.myservice\\.port. or
    .services\\.myservice\\.enable.\\?' config.services.myservice ./error-typo-submodule.nix"""
    service = t.submodule({"enable": option(bool, default=False), "port": option(int, default=8080)})
    declare = Module(options={"services": option(dict[str, service], default={})})
    with pytest.raises(e.UnknownOptionError) as raised:
        value("services", declare, Module(config={"services": {"myservice": {"prot": 9000}}}))
    assert "Did you mean `services.myservice.port` or `services.myservice.enable`?" in str(
        raised.value)


def test_error_typo_large_attrset() -> None:
    """checkConfigError 'Did you mean .enable., .ebe. or .enabled.\\?' config
    ./error-typo-large-attrset.nix (1000 generated options `aaa`..`jjj` plus enable, enabled,
    disable; typo `enble`)."""
    letters = "abcdefghij"
    options = {f"{a}{b}{c}": option(bool, default=False)
               for a in letters for b in letters for c in letters}
    options |= {name: option(bool, default=False) for name in ("enable", "enabled", "disable")}
    with pytest.raises(e.UnknownOptionError) as raised:
        ev(Module(options=options), Module(config={"enble": True})).to_data()
    assert "Did you mean `enable`, `ebe` or `enabled`?" in str(raised.value)
