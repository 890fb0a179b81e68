"""Conformance, from nixpkgs lib/tests/modules.sh "## Freeform modules": freeform values
inside declared option sets, and `name in cfg` for freeform names.

NixOS (`freeformType`): unmatched definitions are merged with the freeform type and laid
*under* the declared config, recursively, so declared and freeform values share option sets;
`config ? value` sees freeform names.

DESIGN §2: `t.submodule(options, freeform=dict[str, X])`: "unmatched keys go to the freeform
part"; values read through `cfg` support `in` (fixed in 13a4f0b).
"""

from __future__ import annotations

from pydeclos import Module, option
from pydeclos import types as t

from ._support import ev, value


def test_freeform_nested() -> None:
    """checkConfigOutput '^false$' config.nest.foo / '^"bar"$' config.nest.bar
    ./freeform-attrsOf.nix ./freeform-nested.nix

    NixOS: `nest.foo` is declared, `nest.bar` is undeclared and goes to the freeform part;
    both are visible under `config.nest`.
    pydeclos before the fix: `c.nest.foo` is False, but `c.nest.bar` raises UnknownOptionError
    "`c.nest.bar` does not exist in the value of `c.nest`" — the freeform value
    {"nest": {"bar": "bar"}} is shadowed by the declared option set `nest` instead of being
    merged under it.
    """
    sub = {"nest": {"foo": option(bool, default=False)}}
    declare = Module(options={"c": option(
        t.submodule(sub, freeform=dict[str, str | dict[str, str]]), default={})})
    evaluation = ev(declare, Module(config={"c": {"nest": {"bar": "bar"}}}))
    assert evaluation.value("c.nest.foo") is False
    assert evaluation.value("c.nest.bar") == "bar"


def test_freeform_str_dep_unstr_with_in() -> None:
    """checkConfigOutput '^"24"$' config.foo ./freeform-attrsOf.nix ./freeform-str-dep-unstr.nix
    ./define-value-string.nix  (config.foo = mkIf (config ? value) config.value)

    NixOS: `config ? value` is true when a freeform `value` is defined.
    pydeclos before the fix: `"value" in cfg` is False for freeform names (ConfigView.__contains__ only
    looks at declared options), so `foo` stays None; `getattr(cfg, "value", None)` works
    (see test_nix_freeform.py).
    """
    sub = Module(options={"foo": option(str | None, default=None)},
                 config=lambda cfg: {"foo": cfg.value} if "value" in cfg else {})
    declare = Module(options={"c": option(t.submodule(sub, freeform=dict[str, str]), default={})})
    assert value("c.foo", declare) is None
    assert value("c.foo", declare, Module(config={"c": {"value": "24"}})) == "24"
