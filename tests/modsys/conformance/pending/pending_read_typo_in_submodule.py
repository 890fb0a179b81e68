"""PENDING — reading a misspelt option inside a submodule gets no "Did you mean".

Derived from nixpkgs lib/tests/modules.sh "# Option name suggestions"
(error-typo-submodule.nix, error-typo-deeply-nested.nix). NixOS checks those cases on
definitions. Reading `config.<typo>` inside a submodule gives "attribute 'prot' missing",
and recent Nix adds its own "Did you mean port?".

pydeclos now: a misspelt *definition* inside a submodule entry suggests the close name
(test_nix_submodules.py::test_error_typo_submodule), and so does a misspelt *read* at the
top level (test_nix_config_reads.py::test_reading_an_undeclared_option_suggests). A read
inside a submodule's own config function gets no suggestion:
"The option `hosts.a.prot` does not exist (it was read in a config function).
Read in `…` … Check the spelling, …". The candidates are the submodule's option names
without the `hosts.a.` prefix, while the misspelt path has it, so no sibling matches.

DESIGN §2: '"Did you mean" suggests close names, prefixes included' and every error ends
with a hint.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from .._support import value


def test_unknown_read_in_a_submodule_suggests() -> None:
    """Reading a misspelt option of a submodule's own config names the full path and
    suggests the close name."""
    sub = t.submodule(Module(options={"port": option(int, default=80),
                                      "url": option(str, default="")},
                             config=lambda cfg: {"url": str(cfg.prot)}))
    declare = Module(options={"hosts": option(dict[str, sub], default={})})
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`hosts.a.prot` does not exist.*Did "
                                                   r"you mean `hosts.a.port`"):
        value("hosts", declare, Module(config={"hosts": {"a": {}}}))
