"""Conformance: declaration errors name every module involved and the full option path
(option collision, duplicate nested declarations under a bare submodule).

DESIGN §2: "Every error names the option path and the file:line of each definition and
declaration involved" (fixed in 08f77f9).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, option
from pydeclos import types as t
from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

from ._support import ev

Writer = Callable[[str, str], Path]


def test_option_collision_names_the_nested_declaration(write: Writer) -> None:
    """checkConfigError 'The option .set. in module .*/declare-set.nix. would be a parent of the
    following options, but its type .attribute set of signed integer. does not support nested
    options.\\n\\s*- option[(]s[)] with prefix .set.enable. in module
    .*/declare-enable-nested.nix.' config.set ./declare-set.nix ./declare-enable-nested.nix

    NixOS names both modules: the one declaring `set` and the one declaring `set.enable`.
    pydeclos before the fix: the message names `set.enable` and "Declared in `declare-set.py:2`" but not
    the file that declares the nested option (declare-enable-nested.py).
    """
    declare_set = write("declare-set.py", 'from pydeclos import option\n'
                                          'options = {"set": option(dict[str, int], default={})}\n')
    nested = write("declare-enable-nested.py", 'from pydeclos import option\n'
                                               'options = {"set": {"enable": option(bool, '
                                               'default=False)}}\n')
    with pytest.raises(e.DeclarationError) as raised:
        evaluate(Module(imports=[declare_set, nested])).value("set")
    message = str(raised.value)
    assert "declare-set.py:2" in message
    assert "declare-enable-nested.py" in message


def test_bare_submodule_deep_option_duplicate() -> None:
    """checkConfigError 'The option .bare-submodule.deep. in .*/declare-bare-submodule-deep-
    option.nix. is already declared in .*/declare-bare-submodule-deep-option-duplicate.nix'
    config.bare-submodule.deep ./declare-bare-submodule.nix ./declare-bare-submodule-deep-
    option.nix ./declare-bare-submodule-deep-option-duplicate.nix

    NixOS: the full path `bare-submodule.deep`.
    pydeclos before the fix: DeclarationError "The option `deep` in `...:N` is already declared in
    `...:M` (both give a `default`)" — the path lacks the submodule's prefix
    `bare_submodule.`, because the nested declarations are merged inside the submodule's own
    option tree.
    """
    bare = Module(options={"bare_submodule": option(t.submodule(), default={})})
    deep = Module(options={"bare_submodule": {"deep": option(int, default=2)}})
    duplicate = Module(options={"bare_submodule": {"deep": option(int, default=3)}})
    with pytest.raises(e.DeclarationError, match=r"The option `bare_submodule.deep` in `.*` is "
                                                 r"already declared in `.*`"):
        ev(bare, deep, duplicate).value("bare_submodule.deep")
