"""Conformance, from nixpkgs lib/options.nix optionAttrSetToDocList and the modules.sh cases
that read `options.<path>.<attribute>` (description, type.description, default, example,
declarationPositions), translated to `Evaluation.options` records.
"""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_renamed_option, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev


def infos(*modules: Module) -> dict:
    return {info.path: info for info in ev(*modules).options}


def test_option_doc_record() -> None:
    """checkConfigOutput '^".*Hello.*"$' options.namedPackage.description (and .example.text,
    .default): the declaration's description, default and example are recorded."""
    found = infos(Module(options={"greeting": option(str, default="hello", example="Hello!",
                                                     description="The Hello greeting.")}))
    info = found["greeting"]
    assert info.description == "The Hello greeting."
    assert (info.default, info.has_default) == ("hello", True)
    assert (info.example, info.has_example) == ("Hello!", True)
    assert info.type == "str"
    assert info.declarations[0].rsplit(":", 1)[0].endswith("test_nix_docs.py")


def test_submodule_type_description() -> None:
    """checkConfigOutput '^"submodule"$' options.submodule.type.description
    ./declare-submoduleWith-modules.nix"""
    found = infos(Module(options={"submodule": option(t.submodule({"x": option(int)}),
                                                      default={})}))
    assert found["submodule"].type == "submodule"


def test_sub_options_under_placeholders() -> None:
    """lib/options.nix: sub-options of attrsOf/listOf submodules are listed under `<name>` and
    `*` (functionTo/submodule-options.nix: 'fun.<function body>.a')."""
    sub = t.submodule({"a": option(int, default=1)})
    found = infos(Module(options={"by_name": option(dict[str, sub], default={}),
                                  "listed": option(list[sub], default=[])}))
    assert "by_name.<name>.a" in found
    assert "listed.*.a" in found
    assert found["by_name"].sub_options == ["by_name.<name>.a"]


def test_internal_and_invisible_options() -> None:
    """lib/options.nix: `internal` and `visible = false` are recorded for the docs."""
    found = infos(Module(options={"hidden": option(int, default=1, internal=True),
                                  "invisible": option(int, default=1, visible=False)}))
    assert found["hidden"].internal is True
    assert found["invisible"].visible is False


def test_renamed_option_is_not_visible() -> None:
    """lib/modules.nix doRename: the old option is declared with `visible = false`."""
    found = infos(Module(options={"new": option(int, default=1)}),
                  mk_renamed_option("old", "new"))
    assert found["old"].visible is False
    assert found["new"].visible is True


def test_read_only_recorded() -> None:
    """lib/options.nix optionAttrSetToDocList: readOnly."""
    assert infos(Module(options={"v": option(int, default=1, read_only=True)}))["v"].read_only


def test_either_definitions_fitting_no_single_member() -> None:
    """lib/types.nix either: if the definitions do not all fit one member, merging fails
    (NixOS: 'One or more definitions did not pass the type-check of the either type' in
    recent versions, "defined multiple times" before). The error names the option."""
    declare = Module(options={"value": option(int | list[str])})
    with pytest.raises(e.ModuleSystemError, match=r"`value`"):
        ev(declare, Module(config={"value": 1}), Module(config={"value": ["b"]})).value("value")
