"""Conformance, from nixpkgs lib/tests/modules.sh: submodules — attrsOf submodule with
mkForce/mkIf at every level, bare submodules extended by nested declarations, `name`,
nested submodules, lists of submodules, submodules declared from files, key de-duplication.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, mk_force, mk_if, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev, value

Writer = Callable[[str, str], Path]

DECLARE_ENABLE = Module(options={"enable": option(bool, default=False)}, key="declare-enable.nix")
DEFINE_ENABLE = Module(config={"enable": True}, key="define-enable.nix")
SUB = t.submodule({"enable": option(bool, default=False)})
DECLARE_ATTRS_OF_SUB = Module(options={"attrs_of_sub": option(dict[str, SUB], default={})},
                              key="declare-attrsOfSub-any-enable.nix")
DEFINE_FOO = Module(config={"attrs_of_sub": {"foo": {}}}, key="define-attrsOfSub-foo.nix")
DEFINE_FOO_ENABLE = Module(config={"attrs_of_sub": {"foo": {"enable": True}}},
                           key="define-attrsOfSub-foo-enable.nix")
DEFINE_BAR = Module(config={"attrs_of_sub": {"bar": {}}}, key="define-attrsOfSub-bar.nix")
DEFINE_BAR_ENABLE = Module(config={"attrs_of_sub": {"bar": {"enable": True}}},
                           key="define-attrsOfSub-bar-enable.nix")

# The four places a mkForce can sit (define-*-force-*.nix)
FORCES = {
    "define-force-attrsOfSub-foo-enable.nix":
        Module(config=mk_force({"attrs_of_sub": {"foo": {"enable": False}}})),
    "define-attrsOfSub-force-foo-enable.nix":
        Module(config={"attrs_of_sub": mk_force({"foo": {"enable": False}})}),
    "define-attrsOfSub-foo-force-enable.nix":
        Module(config={"attrs_of_sub": {"foo": mk_force({"enable": False})}}),
    "define-attrsOfSub-foo-enable-force.nix":
        Module(config={"attrs_of_sub": {"foo": {"enable": mk_force(False)}}}),
}

# The four places a mkIf config.enable can sit (define-*-if-*.nix)
IFS = {
    "define-if-attrsOfSub-foo-enable.nix":
        Module(config=lambda cfg: mk_if(cfg.enable, {"attrs_of_sub": {"foo": {"enable": True}}})),
    "define-attrsOfSub-if-foo-enable.nix":
        Module(config=lambda cfg: {"attrs_of_sub": mk_if(cfg.enable, {"foo": {"enable": True}})}),
    "define-attrsOfSub-foo-if-enable.nix":
        Module(config=lambda cfg: {"attrs_of_sub": {"foo": mk_if(cfg.enable, {"enable": True})}}),
    "define-attrsOfSub-foo-enable-if.nix":
        Module(config=lambda cfg: {"attrs_of_sub": {"foo": {"enable": mk_if(cfg.enable, True)}}}),
}


# -- mkForce with option and submodules ----------------------------------------------------

def test_attrs_of_sub_entry_not_defined() -> None:
    """checkConfigError 'attribute .*foo.* .* not found' config.attrsOfSub.foo.enable
    ./declare-attrsOfSub-any-enable.nix"""
    with pytest.raises(e.UnknownOptionError, match=r"`attrs_of_sub.foo` does not exist"):
        value("attrs_of_sub.foo.enable", DECLARE_ATTRS_OF_SUB)


def test_attrs_of_sub_entry_default() -> None:
    """checkConfigOutput '^false$' config.attrsOfSub.foo.enable ... ./define-attrsOfSub-foo.nix"""
    assert value("attrs_of_sub.foo.enable", DECLARE_ATTRS_OF_SUB, DEFINE_FOO) is False


def test_attrs_of_sub_foo_enable() -> None:
    """checkConfigOutput '^true$' ... ./define-attrsOfSub-foo-enable.nix"""
    assert value("attrs_of_sub.foo.enable", DECLARE_ATTRS_OF_SUB, DEFINE_FOO_ENABLE) is True


@pytest.mark.parametrize("fixture", sorted(FORCES))
def test_mk_force_with_option_and_submodules(fixture: str) -> None:
    """checkConfigOutput '^false$' config.attrsOfSub.foo.enable
    ./declare-attrsOfSub-any-enable.nix ./define-attrsOfSub-foo-enable.nix <fixture>"""
    assert value("attrs_of_sub.foo.enable", DECLARE_ATTRS_OF_SUB, DEFINE_FOO_ENABLE,
                 FORCES[fixture]) is False


@pytest.mark.parametrize(("fixture", "bar_survives"), [
    ("define-force-attrsOfSub-foo-enable.nix", False),
    ("define-attrsOfSub-force-foo-enable.nix", False),
    ("define-attrsOfSub-foo-force-enable.nix", True),
    ("define-attrsOfSub-foo-enable-force.nix", True),
])
def test_overriding_effect_of_mk_force_on_submodule_definitions(fixture: str,
                                                                bar_survives: bool) -> None:
    """Check overriding effect of mkForce on submodule definitions: a mkForce at or above the
    attrsOf option drops the other entries (bar), one inside an entry does not."""
    modules = [DECLARE_ATTRS_OF_SUB, DEFINE_FOO, DEFINE_BAR_ENABLE, FORCES[fixture]]
    if bar_survives:
        assert value("attrs_of_sub.bar.enable", *modules) is True
    else:
        with pytest.raises(e.UnknownOptionError, match=r"`attrs_of_sub.bar` does not exist"):
            value("attrs_of_sub.bar.enable", *modules)


def test_attrs_of_sub_bar_alongside_foo() -> None:
    """checkConfigOutput '^false$' config.attrsOfSub.bar.enable ... define-attrsOfSub-foo.nix
    define-attrsOfSub-bar.nix; and 'attribute .*bar.* not found' without the bar module."""
    assert value("attrs_of_sub.bar.enable", DECLARE_ATTRS_OF_SUB, DEFINE_FOO, DEFINE_BAR) is False
    with pytest.raises(e.UnknownOptionError, match=r"`attrs_of_sub.bar` does not exist"):
        value("attrs_of_sub.bar.enable", DECLARE_ATTRS_OF_SUB, DEFINE_FOO)


# -- mkIf with submodules --------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "entry_exists"), [
    ("define-if-attrsOfSub-foo-enable.nix", False),
    ("define-attrsOfSub-if-foo-enable.nix", False),
    ("define-attrsOfSub-foo-if-enable.nix", False),
    ("define-attrsOfSub-foo-enable-if.nix", True),
])
def test_mk_if_with_submodules_condition_false(fixture: str, entry_exists: bool) -> None:
    """Check mkIf with submodules: with `enable` false, a mkIf around the entry (or higher)
    removes it; a mkIf around the entry's option leaves the entry with its default."""
    modules = [DECLARE_ENABLE, DECLARE_ATTRS_OF_SUB, IFS[fixture]]
    if entry_exists:
        assert value("attrs_of_sub.foo.enable", *modules) is False
    else:
        with pytest.raises(e.UnknownOptionError, match=r"`attrs_of_sub.foo` does not exist"):
            value("attrs_of_sub.foo.enable", *modules)


@pytest.mark.parametrize("fixture", sorted(IFS))
def test_mk_if_with_submodules_condition_true(fixture: str) -> None:
    """checkConfigOutput '^true$' ... ./define-enable.nix <fixture>"""
    assert value("attrs_of_sub.foo.enable", DECLARE_ENABLE, DECLARE_ATTRS_OF_SUB, DEFINE_ENABLE,
                 IFS[fixture]) is True


def test_no_entry_without_definitions() -> None:
    """checkConfigError 'attribute .*foo.* .* not found' config.attrsOfSub.foo.enable
    ./declare-enable.nix ./declare-attrsOfSub-any-enable.nix"""
    with pytest.raises(e.UnknownOptionError, match="`attrs_of_sub.foo` does not exist"):
        value("attrs_of_sub.foo.enable", DECLARE_ENABLE, DECLARE_ATTRS_OF_SUB)


# -- bare submodules extended by nested declarations ---------------------------------------

BARE = Module(options={"bare_submodule": option(t.submodule(), default={})},
              key="declare-bare-submodule.nix")
NESTED = Module(options={"bare_submodule": {"nested": option(int, default=1)}},
                key="declare-bare-submodule-nested-option.nix")
DEEP = Module(options={"bare_submodule": {"deep": option(default=2)}},
              key="declare-bare-submodule-deep-option.nix")
VALUES = Module(config={"bare_submodule": {"nested": 42, "deep": 420}},
                key="define-bare-submodule-values.nix")


def test_bare_submodule_nested_option() -> None:
    """checkConfigOutput '^1$' config.bare-submodule.nested ./declare-bare-submodule.nix
    ./declare-bare-submodule-nested-option.nix"""
    assert value("bare_submodule.nested", BARE, NESTED) == 1


def test_bare_submodule_deep_option() -> None:
    """checkConfigOutput '^2$' config.bare-submodule.deep ./declare-bare-submodule.nix
    ./declare-bare-submodule-deep-option.nix"""
    assert value("bare_submodule.deep", BARE, DEEP) == 2


def test_bare_submodule_values() -> None:
    """checkConfigOutput '^42$' / '^420$' with ./define-bare-submodule-values.nix"""
    evaluation = ev(BARE, NESTED, DEEP, VALUES)
    assert evaluation.value("bare_submodule.nested") == 42
    assert evaluation.value("bare_submodule.deep") == 420


def test_redeclared_submodule_option_merges_option_sets() -> None:
    """lib/types.nix submodule typeMerge: declaring the option twice concatenates the
    modules (declare-submoduleWith-modules.nix, the declaration side)."""
    evaluation = ev(
        Module(options={"s": option(t.submodule({"a": option(int, default=1)}), default={})}),
        Module(options={"s": option(t.submodule({"b": option(int, default=2)}))}),
    )
    assert evaluation.value("s") == {"a": 1, "b": 2}


# -- submoduleWith ---------------------------------------------------------------------------

def test_submodule_with_modules_merges_in_one_swoop() -> None:
    """checkConfigOutput '^true$' config.submodule.inner ./declare-submoduleWith-modules.nix:
    the type's modules may declare options and define config for each other."""
    sub = t.submodule([
        Module(options={"inner": option(bool, default=False)}),
        Module(config={"inner": True}),
    ])
    assert value("submodule.inner", Module(options={"submodule": option(sub, default={})})) is True


def test_submodule_with_modules_definition_declares_options() -> None:
    """checkConfigOutput '^true$' config.submodule.outer ./declare-submoduleWith-modules.nix:
    a definition is a module too, and may declare options of the submodule (`outer`)."""
    declare = Module(options={"submodule": option(
        t.submodule({"inner": option(bool, default=False)}), default={})})
    define = Module(config={"submodule": Module(
        options={"outer": option(bool, default=False)}, config={"outer": True, "inner": True})})
    evaluation = ev(declare, define)
    assert evaluation.value("submodule.inner") is True
    assert evaluation.value("submodule.outer") is True


def test_submodule_definition_imports_a_file(write: Writer) -> None:
    """declare-submoduleWith-path.nix: `config.submodule = ./define-enable.nix` — a definition
    may be (or import) a module file."""
    path = write("define-enable.py", 'config = {"enable": True}\n')
    declare = Module(options={"submodule": option(
        t.submodule({"enable": option(bool, default=False)}), default={})})
    define = Module(config={"submodule": Module(imports=[str(path)])})
    assert value("submodule.enable", declare, define) is True


def test_submodule_shorthand_only_defines_config() -> None:
    """checkConfigOutput '^true$' config.submodule.config ./declare-submoduleWith-shorthand.nix
    ./define-submoduleWith-shorthand.nix: a dict definition is all config, even a key named
    `config` (pydeclos: dict definitions are always shorthand)."""
    declare = Module(options={"submodule": option(
        t.submodule({"config": option(bool, default=False)}), default={})})
    assert value("submodule.config", declare, Module(config={"submodule": {"config": True}})) \
        is True


def test_submodule_definition_as_a_module_object() -> None:
    """checkConfigOutput '^true$' config.submodule.config ./declare-submoduleWith-noshorthand.nix
    ./define-submoduleWith-noshorthand.nix: a definition written as a module (config = {...})."""
    declare = Module(options={"submodule": option(
        t.submodule({"config": option(bool, default=False)}), default={})})
    assert value("submodule.config", declare,
                 Module(config={"submodule": Module(config={"config": True})})) is True


def test_submodule_type_from_a_file(write: Writer) -> None:
    """checkConfigOutput '^true$' config.submodule.enable ./declare-submoduleWith-path.nix:
    a submodule's module may be a file path."""
    path = write("declare-enable.py", """
        from pydeclos import option
        options = {"enable": option(bool, default=False)}
        config = {"enable": True}
    """)
    declare = Module(options={"submodule": option(t.submodule([str(path)]), default={})})
    assert value("submodule.enable", declare) is True


def test_submodule_files_in_error_locations(write: Writer) -> None:
    """checkConfigOutput the-file.nix config.submodule.internalFiles.0 ./submoduleFiles.nix:
    the file of a definition inside a submodule value is known (here: in the error)."""
    library = write("library.py", """
        from pydeclos import option, types as t
        options = {"submodule": option(t.submodule({"port": option(t.Port)}), default={})}
    """)
    system = write("the_file.py", """
        imports = ["./library.py"]
        config = {
            "submodule": {
                "port": -1,
            },
        }
    """)
    del library
    with pytest.raises(e.OptionTypeError, match=r"`submodule.port`(?s:.*)the_file\.py:4"):
        ev(system).value("submodule")


# -- name, nesting, lists ----------------------------------------------------------------------

HOST = t.submodule(Module(
    options={"server_name": option(str), "port": option(int, default=80)},
    config=lambda cfg, name: {"server_name": name},
))


def test_submodule_name_is_the_attribute_name() -> None:
    """lib/types.nix submodule: `name` is the attribute name in an attrsOf."""
    declare = Module(options={"hosts": option(dict[str, HOST], default={})})
    result = value("hosts", declare, Module(config={"hosts": {"a.org": {}, "b": {"port": 1}}}))
    assert result == {"a.org": {"server_name": "a.org", "port": 80},
                      "b": {"server_name": "b", "port": 1}}


def test_nested_submodules_full_path_in_errors() -> None:
    """lib/types.nix: errors inside nested submodules name the full option path."""
    inner = t.submodule({"x": option(int)})
    outer = t.submodule({"inner": option(dict[str, inner], default={})})
    declare = Module(options={"outer": option(dict[str, outer], default={})})
    with pytest.raises(e.OptionTypeError, match=r"`outer.a.inner.b.x` is not of type `int`"):
        value("outer", declare, Module(config={"outer": {"a": {"inner": {"b": {"x": "1"}}}}}))
    assert value("outer", declare, Module(config={"outer": {"a": {"inner": {"b": {"x": 1}}}}})) \
        == {"a": {"inner": {"b": {"x": 1}}}}


def test_nested_submodule_names() -> None:
    """lib/types.nix: each nested submodule knows its own attribute name."""
    inner = t.submodule(Module(options={"label": option(str)},
                               config=lambda cfg, name: {"label": name}))
    outer = t.submodule({"inner": option(dict[str, inner], default={})})
    declare = Module(options={"outer": option(dict[str, outer], default={})})
    assert value("outer", declare, Module(config={"outer": {"a": {"inner": {"b": {}}}}})) == {
        "a": {"inner": {"b": {"label": "b"}}}}


def test_list_of_submodules_are_evaluated_separately() -> None:
    """lib/types.nix listOf submodule: each element is its own evaluation, lists concatenate."""
    declare = Module(options={"items": option(list[t.submodule({"port": option(int, default=1)})],
                                              default=[])})
    assert value("items", declare, Module(config={"items": [{}]}),
                 Module(config={"items": [{"port": 2}]})) == [{"port": 1}, {"port": 2}]


def test_error_typo_submodule() -> None:
    """checkConfigError 'Did you mean .services\\.myservice\\.port. or
    .services\\.myservice\\.enable.\\?' config.services.myservice ./error-typo-submodule.nix"""
    service = t.submodule({"enable": option(bool, default=False), "port": option(int, default=8080)})
    declare = Module(options={"services": option(dict[str, service], default={})})
    with pytest.raises(e.UnknownOptionError) as raised:
        value("services", declare, Module(config={"services": {"myservice": {"prot": 9000}}}))
    assert "Did you mean `services.myservice.port` or `services.myservice.enable`?" in str(
        raised.value)


def test_unknown_read_in_a_submodule_suggests() -> None:
    """error-typo-submodule.nix, read instead of defined: reading a misspelt option in a
    submodule's own config function names the full path and suggests the close name, like
    a misspelt definition (NixOS leaves this to Nix's "Did you mean port?")."""
    sub = t.submodule(Module(options={"port": option(int, default=80),
                                      "url": option(str, default="")},
                             config=lambda cfg: {"url": str(cfg.prot)}))
    declare = Module(options={"hosts": option(dict[str, sub], default={})})
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`hosts.a.prot` does not exist.*Did "
                                                   r"you mean `hosts.a.port`"):
        value("hosts", declare, Module(config={"hosts": {"a": {}}}))


# -- keys -------------------------------------------------------------------------------------

def test_merge_module_with_key() -> None:
    """checkConfigOutput '^"pear"$' config.once.raw / '^"pear\\npear"$' config.twice.raw
    ./merge-module-with-key.nix: anonymous modules are de-duplicated by key only."""
    declare = Module(options={"raw": option(t.lines)})
    keyed = Module(config={"raw": "pear"}, key="pear")
    anonymous = Module(config={"raw": "pear"})
    evaluation = ev(Module(options={
        "once": option(t.submodule(Module(imports=[declare, keyed, keyed])), default={}),
        "twice": option(t.submodule(Module(imports=[declare, anonymous, anonymous])),
                        default={}),
    }))
    assert evaluation.value("once.raw") == "pear"
    assert evaluation.value("twice.raw") == "pear\npear"


def test_extend_modules_168767_imports() -> None:
    """checkConfigOutput '^1$' config.sub.specialisation.value
    ./extendModules-168767-imports.nix: an anonymous module imported both at the top and
    inside a submodule applies in both places."""
    shared = Module(options={"value": option(int, default=0)}, config={"value": 1})
    declare = Module(options={"sub": option(t.submodule(Module(imports=[shared])), default={})})
    evaluation = ev(shared, declare)
    assert evaluation.value("value") == 1
    assert evaluation.value("sub.value") == 1
