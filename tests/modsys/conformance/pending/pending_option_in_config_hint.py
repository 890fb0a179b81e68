"""PENDING — the "declare it in `options`" hint for nested definitions.

Derived from nixpkgs lib/tests/modules.sh:

    checkConfigError 'It seems as if you.re trying to declare an option by placing it into
        .config. rather than .options.' config.nest.wrong2 ./error-mkOption-in-config.nix

(the fixture's config is `{ wrong1 = mkOption {}; nest.wrong2 = mkOption {}; }` and declares
no option at all).

NixOS adds the hint when the evaluation declares no options (only `_module`).

pydeclos now: the hint appears when the undeclared definition's value *is* an `option(...)`
(`wrong1` passes in test_nix_options.py), or when the option tree is empty — which never
happens at the top, since `assertions` and `warnings` are always declared (DESIGN §2). For
`{"nest": {"wrong2": option(int)}}` the message is "The option `nest` does not exist ...
Check the spelling." with no hint.

DESIGN §2: errors end with a hint; the builtin `assertions`/`warnings` should not count as
"options declared" for this purpose, or the hint should look for option(...) values nested
inside the undeclared definition.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, option
from pydeclos.modsys import errors as e

from .._support import ev


def test_error_mk_option_in_config_nested() -> None:
    """config.nest.wrong2 ./error-mkOption-in-config.nix"""
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`nest(\.wrong2)?` does not exist.*It "
                                                   r"seems as if you're trying to declare an "
                                                   r"option by placing it into `config` rather "
                                                   r"than `options`!"):
        ev(Module(config={"nest": {"wrong2": option(int)}})).to_data()
