"""Conformance, from nixpkgs lib/tests/modules.sh: plain options, priorities, type checks,
missing values, conflicts, read-only, apply, and the messages of unknown options.

Fixture names (`declare-enable.nix`, ...) are the nixpkgs files each case is derived from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, mk_default, mk_force, mk_if, mk_merge, mk_override, option
from pydeclos import types as t
from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

from ._support import ev, value

Writer = Callable[[str, str], Path]

DECLARE_ENABLE = Module(options={"enable": option(bool, default=False, example=True,
                                                  description="Some descriptive text")},
                        key="declare-enable.nix")
DEFINE_ENABLE = Module(config={"enable": True}, key="define-enable.nix")
DECLARE_VALUE = Module(options={"value": option(int)}, key="declare-int-value.nix")


# -- declare-enable / define-enable --------------------------------------------------------

def test_declare_enable_default_false() -> None:
    """checkConfigOutput '^false$' config.enable ./declare-enable.nix"""
    assert value("enable", DECLARE_ENABLE) is False


def test_define_enable_without_declaration_does_not_exist() -> None:
    """checkConfigError 'The option .* does not exist. Definition values:\\n- In .*: true'
    config.enable ./define-enable.nix"""
    with pytest.raises(e.UnknownOptionError) as raised:
        ev(DEFINE_ENABLE).to_data()
    message = str(raised.value)
    assert "The option `enable` does not exist. Definition values:\n- In `" in message
    assert "test_nix_options.py:" in message
    assert message.split("\n")[1].endswith(": true")


def test_declare_and_define_enable() -> None:
    """checkConfigOutput '^true$' config.enable ./declare-enable.nix ./define-enable.nix"""
    assert value("enable", DECLARE_ENABLE, DEFINE_ENABLE) is True


# -- mkForce without submodules ------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "forced"), [
    ("define-force-enable.nix", Module(config=mk_force({"enable": False}))),
    ("define-enable-force.nix", Module(config={"enable": mk_force(False)})),
])
def test_mk_force_without_submodules(fixture: str, forced: Module) -> None:
    """checkConfigOutput '^false$' config.enable declare-enable define-enable <fixture>"""
    assert value("enable", DECLARE_ENABLE, DEFINE_ENABLE, forced) is False


def test_define_enable_with_top_level_mk_if() -> None:
    """checkConfigOutput '^true$' config.enable ./declare-enable.nix
    ./define-enable-with-top-level-mkIf.nix"""
    assert value("enable", DECLARE_ENABLE, Module(config=mk_if(True, {"enable": True}))) is True


# -- priorities (mkOverride numbers, mkDefault, option default) ----------------------------

@pytest.mark.parametrize(("definitions", "expected"), [
    ([], 1),
    ([mk_default(2)], 2),
    ([mk_default(2), 3], 3),
    ([3, mk_force(4)], 4),
    ([mk_force(4), mk_override(10, 5)], 5),
    ([mk_override(1500, 6)], 6),  # same priority as the default: both merge, and they differ
])
def test_priorities_lowest_number_wins(definitions: list, expected: int) -> None:
    """lib/modules.nix priorities: mkOverride 10 < mkForce 50 < plain 100 < mkDefault 1000 <
    option default 1500 (checkConfigOutput cases of define-force-enable/define-enable-force)."""
    declare = Module(options={"x": option(int, default=1)})
    modules = [declare, *(Module(config={"x": d}) for d in definitions)]
    if expected == 6:
        with pytest.raises(e.ConflictingDefinitionsError, match="conflicting definition values"):
            value("x", *modules)
        return
    assert value("x", *modules) == expected


def test_mk_merge_and_mk_if_are_discharged_before_merging() -> None:
    """define-value-string-properties.nix: value = mkMerge [ (mkIf false "nope") "yes" ] with
    an imported mkDefault "def" gives "yes"."""
    declare = Module(options={"value": option(str)})
    assert value("value", declare, Module(config={"value": mk_default("def")}),
                 Module(config={"value": mk_merge([mk_if(False, "nope"), "yes"])})) == "yes"


def test_mk_if_non_bool_condition() -> None:
    """lib/modules.nix: "‘mkIf’ called with a non-Boolean condition"."""
    with pytest.raises(e.InvalidDefinitionError, match=r"(?i)non-bool(ean)? condition.*`enable`"):
        ev(DECLARE_ENABLE, Module(config={"enable": mk_if(1, True)})).value("enable")


def test_undeclared_option_under_a_false_mk_if_is_still_unknown() -> None:
    """lib/modules.nix: push-down does not evaluate conditions, so a definition of an option
    that does not exist is an error even under `mkIf false`."""
    with pytest.raises(e.UnknownOptionError, match="The option `enabel` does not exist"):
        ev(DECLARE_ENABLE, Module(config={"enabel": mk_if(False, True)})).to_data()


# -- integer / either / oneOf ----------------------------------------------------------------

def test_declare_int_between_value_as_port() -> None:
    """declare-int-between-value.nix (ints.between): 42 passes, -23 is "not of type", with the
    definition value shown. pydeclos' bounded int is `t.Port`."""
    declare = Module(options={"value": option(t.Port)})
    assert value("value", declare, Module(config={"value": 42})) == 42
    with pytest.raises(e.OptionTypeError) as raised:
        value("value", declare, Module(config={"value": -23}))
    assert "A definition for option `value` is not of type `port (0–65535)`. Definition " \
           "values:\n- In `" in str(raised.value)
    assert ": -23" in str(raised.value)


@pytest.mark.parametrize(("fixture", "definition"), [
    ("define-value-int-positive.nix", 42),
    ("define-value-string.nix", "24"),
])
def test_declare_either(fixture: str, definition: object) -> None:
    """declare-either.nix: types.either int str."""
    declare = Module(options={"value": option(int | str)})
    assert value("value", declare, Module(config={"value": definition})) == definition


@pytest.mark.parametrize(("fixture", "definition"), [
    ("define-value-int-positive.nix", 42),
    ("define-value-list.nix", []),
    ("define-value-string.nix", "24"),
])
def test_declare_one_of(fixture: str, definition: object) -> None:
    """declare-oneOf.nix: types.oneOf [ int (listOf int) str ]."""
    declare = Module(options={"value": option(int | list[int] | str)})
    assert value("value", declare, Module(config={"value": definition})) == definition


def test_type_error_with_multiple_assignments() -> None:
    """checkConfigError 'A definition for option .* is not of type .*' config.value
    ./declare-int-unsigned-value.nix ./define-value-list.nix ./define-value-int-positive.nix"""
    with pytest.raises(e.OptionTypeError, match=r"A definition for option `value` is not of "
                                                r"type `int`\. Definition values:\n- In `.*`: \[\]"):
        value("value", DECLARE_VALUE, Module(config={"value": []}), Module(config={"value": 42}))


# -- accessed but has no value ------------------------------------------------------------

def test_option_without_default_was_accessed_but_has_no_value() -> None:
    """emptyValues.nix / defaults.nix: 'The option .int. was accessed but has no value
    defined. Try setting the option.'"""
    declare = Module(options={"int": option(int)})
    with pytest.raises(e.MissingValueError,
                       match=r"(?s)The option `int` was accessed but has no value defined\."
                             r".*Try setting the option"):
        value("int", declare)


def test_undefined_package_was_accessed_but_has_no_value() -> None:
    """declare-mkPackageOption.nix: config.undefinedPackage (a package option without
    default) 'was accessed but has no value defined'."""
    declare = Module(options={"undefined_package": option(t.package)})
    with pytest.raises(e.MissingValueError, match="`undefined_package` was accessed but has no "
                                                  "value defined"):
        value("undefined_package", declare)


def test_nullable_package() -> None:
    """declare-mkPackageOption.nix: config.nullablePackage is null; its type description is
    'null or package' (pydeclos spells it `package | None`)."""
    declare = Module(options={"nullable_package": option(t.package | None, default=None)})
    evaluation = ev(declare)
    assert evaluation.value("nullable_package") is None
    info = next(i for i in evaluation.options if i.path == "nullable_package")
    assert info.type == "package | None"


def test_every_definition_under_false_mk_if_has_no_value() -> None:
    """lib/modules.nix: definitions that all vanish under `mkIf false` leave an option
    without a default with no value."""
    with pytest.raises(e.MissingValueError, match="`value` was accessed but has no value"):
        value("value", DECLARE_VALUE, Module(config={"value": mk_if(False, 1)}))


# -- conflicts ----------------------------------------------------------------------------

def test_conflicting_definition_values() -> None:
    """lib/options.nix mergeEqualOption: "The option `x' has conflicting definition values:"
    with each file, and the mkForce/mkDefault hint."""
    declare = Module(options={"x": option(str)})
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        value("x", declare, Module(config={"x": "a"}), Module(config={"x": "b"}))
    message = str(raised.value)
    assert "The option `x` has conflicting definition values:\n- In `" in message
    assert ': "a"' in message and ': "b"' in message
    assert message.count("test_nix_options.py:") >= 2
    assert "mk_force" in message and "mk_default" in message


def test_equal_definitions_do_not_conflict() -> None:
    """lib/options.nix mergeEqualOption: equal values merge."""
    declare = Module(options={"x": option(str)})
    assert value("x", declare, Module(config={"x": "a"}), Module(config={"x": "a"})) == "a"


# -- readOnly -------------------------------------------------------------------------------

def test_read_only_default_alone() -> None:
    """lib/modules.nix readOnly: the default is the one definition."""
    assert value("v", Module(options={"v": option(int, default=1, read_only=True)})) == 1


def test_read_only_default_counts_as_a_definition() -> None:
    """lib/modules.nix: "The option `v' is read-only, but it's set multiple times." — the
    default counts (DESIGN §2: read_only=True, NixOS rule); mk_force does not help."""
    declare = Module(options={"v": option(int, default=1, read_only=True)})
    for definition in (2, mk_force(2)):
        with pytest.raises(e.ReadOnlyOptionError,
                           match=r"The option `v` is read-only, but it's set multiple times"):
            value("v", declare, Module(config={"v": definition}))


def test_read_only_without_default_takes_one_definition() -> None:
    """lib/modules.nix readOnly: one definition is fine, two are not."""
    declare = Module(options={"v": option(int, read_only=True)})
    assert value("v", declare, Module(config={"v": 3})) == 3
    with pytest.raises(e.ReadOnlyOptionError, match="read-only"):
        value("v", declare, Module(config={"v": 3}), Module(config={"v": 3}))


# -- apply --------------------------------------------------------------------------------

def test_apply_transforms_the_merged_value() -> None:
    """lib/modules.nix: `apply` runs after merging, once, on the merged value."""
    declare = Module(options={"v": option(list[int], apply=sum)})
    assert value("v", declare, Module(config={"v": [1, 2]}), Module(config={"v": [3]})) == 6


def test_apply_result_is_not_type_checked() -> None:
    """lib/options.nix: the result of `apply` is not checked against the type."""
    declare = Module(options={"v": option(int, default=3, apply=str)})
    assert value("v", declare) == "3"


def test_readers_see_the_applied_value() -> None:
    """lib/modules.nix: config.<opt> is the applied value."""
    declare = Module(options={"v": option(int, default=3, apply=lambda x: x * 10),
                              "seen": option(int, default=0)})
    reader = Module(config=lambda cfg: {"seen": cfg.v})
    assert value("seen", declare, reader) == 30


# -- declarations ----------------------------------------------------------------------------

def test_declaration_twice_with_one_default() -> None:
    """lib/modules.nix mergeOptionDecls: a repeated declaration is fine if only one gives
    the default."""
    assert value("x", Module(options={"x": option(int, default=1)}),
                 Module(options={"x": option(int)})) == 1


@pytest.mark.parametrize("field", ["default", "description", "apply", "example"])
def test_declaration_twice_is_already_declared(field: str) -> None:
    """lib/modules.nix: "The option `x' in `f2' is already declared in `f1'." when both set
    default, example, description or apply."""
    given = {"default": 1, "description": "d", "apply": lambda v: v, "example": 1}[field]
    first = Module(options={"x": option(int, **{field: given})})
    second = Module(options={"x": option(int, **{field: given})})
    with pytest.raises(e.DeclarationError, match=r"The option `x` in `.*` is already declared "
                                                 r"in `.*`"):
        ev(first, second)


def test_declaration_types_that_do_not_merge() -> None:
    """declare-coerced-value-no-default.nix: types that do not merge give "is already
    declared"."""
    with pytest.raises(e.DeclarationError, match="is already declared"):
        ev(Module(options={"x": option(int)}), Module(options={"x": option(str)}))


def test_declaring_an_option_set_and_options_under_it() -> None:
    """declare-enable-nested.nix / declare-int-positive-value-nested.nix: option sets from
    several modules merge."""
    evaluation = ev(Module(options={"set": {"enable": option(bool, default=False)}}),
                    Module(options={"set": {"value": option(int, default=7)}}))
    assert evaluation.value("set") == {"enable": False, "value": 7}


@pytest.mark.parametrize("order", ["set-first", "nested-first"])
def test_option_collision_would_be_a_parent(order: str) -> None:
    """checkConfigError 'The option .set. in module .*/declare-set.nix. would be a parent of
    the following options, but its type .attribute set of signed integer. does not support
    nested options.' config.set ./declare-set.nix ./declare-enable-nested.nix"""
    declare_set = Module(options={"set": option(dict[str, int], default={})})
    nested = Module(options={"set": {"enable": option(bool, default=False)}})
    modules = [declare_set, nested] if order == "set-first" else [nested, declare_set]
    with pytest.raises(e.DeclarationError) as raised:
        ev(*modules).value("set")
    message = str(raised.value)
    assert "The option `set` would be a parent of the following options, but its type " \
           "`dict[str, int]` does not support nested options" in message
    assert "`set.enable`" in message


def test_merge_typeless_option() -> None:
    """checkConfigError 'The option .group..*would be a parent of the following options, but
    its type .<no description>. does not support nested options' ./merge-typeless-option.nix
    (pydeclos: an option without a type is `anything`)."""
    with pytest.raises(e.DeclarationError, match=r"`group` would be a parent of the following "
                                                 r"options.*does not support nested options"):
        ev(Module(options={"group": option()}),
           Module(options={"group": {"enable": option(bool, default=False)}}))


@pytest.mark.parametrize(("fixture", "options", "path"), [
    ("options-type-error-typical.nix", {"result": str}, "result"),
    ("options-type-error-typical-nested.nix", {"result": {"here": t.Port}}, "result.here"),
    ("options-type-error-configuration.nix", {"result": 3}, "result"),
])
def test_options_type_error(fixture: str, options: dict, path: str) -> None:
    """'In module .*: expected an option declaration at option path .result. but got ...'"""
    with pytest.raises(e.DeclarationError, match=rf"In module `.*test_nix_options\.py:\d+`: "
                                                 rf"expected an option declaration at option "
                                                 rf"path `{path}` but got"):
        ev(Module(options=options))


# -- unknown options: messages and suggestions ---------------------------------------------

def test_error_mk_option_in_config() -> None:
    """checkConfigError 'It seems as if you.re trying to declare an option by placing it into
    .config. rather than .options.' config.wrong1 ./error-mkOption-in-config.nix"""
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`wrong1` does not exist.*It seems as "
                                                   r"if you're trying to declare an option by "
                                                   r"placing it into `config` rather than "
                                                   r"`options`!"):
        ev(Module(config={"wrong1": option(int)})).to_data()


def test_error_mk_option_in_submodule_config() -> None:
    """checkConfigError 'The option .sub.wrong2. does not exist. Definition values:'
    config.sub ./error-mkOption-in-submodule-config.nix"""
    declare = Module(options={"sub": option(t.submodule({"ok": option(int, default=1)}),
                                            default={})})
    with pytest.raises(e.UnknownOptionError, match=r"The option `sub.wrong2` does not exist\. "
                                                   r"Definition values:"):
        value("sub", declare, Module(config={"sub": {"wrong2": option(int)}}))


def test_error_typo_nested() -> None:
    """checkConfigError 'Did you mean .set\\.enable.\\?' config.set ./error-typo-nested.nix"""
    declare = Module(options={"set": {"enable": option(bool, default=False)}})
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`set.enble` does not exist.*Did you "
                                                   r"mean `set.enable`\?"):
        ev(declare, Module(config={"set": {"enble": True}})).to_data()


def test_error_typo_outside_with_nested() -> None:
    """checkConfigError 'Did you mean .set.\\?' config ./error-typo-outside-with-nested.nix"""
    declare = Module(options={"set": {"enable": option(bool, default=False)}})
    with pytest.raises(e.UnknownOptionError, match=r"`sea` does not exist(?s:.*)Did you mean "
                                                   r"`set`\?"):
        ev(declare, Module(config={"sea": {"enable": True}})).to_data()


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


def test_error_typo_deeply_nested() -> None:
    """checkConfigError 'Did you mean .services\\.nginx\\.virtualHosts\\."example\\.com"\\.ssl\\.
    certificate. or .services\\.nginx\\.virtualHosts\\."example\\.com"\\.ssl\\.certificateKey.\\?'
    ./error-typo-deeply-nested.nix"""
    host = t.submodule({
        "enable_ssl": option(bool, default=False),
        "ssl": {"certificate": option(str, default=""), "certificate_key": option(str, default="")},
    })
    declare = Module(options={"services": {"nginx": {
        "enable": option(bool, default=False),
        "virtual_hosts": option(dict[str, host], default={}),
    }}})
    define = Module(config={"services": {"nginx": {"virtual_hosts": {
        "example.com": {"ssl": {"certficate": "/path/to/cert"}}}}}})
    with pytest.raises(e.UnknownOptionError) as raised:
        ev(declare, define).value("services.nginx.virtual_hosts")
    assert ('Did you mean `services.nginx.virtual_hosts."example.com".ssl.certificate` or '
            '`services.nginx.virtual_hosts."example.com".ssl.certificate_key`?'
            ) in str(raised.value)


def test_declaration_positions(write: Writer) -> None:
    """checkConfigOutput '^14$' options.imported.line14.declarationPositions.0.line and
    '^45$' config.submoduleLine38.submodDeclLine45.0.line ./declaration-positions.nix: each
    declaration records its file and line, submodule options included (`<name>`)."""
    system = write("declaration_positions.py", """
        from pydeclos import option, types as t

        options = {
            "imported": {
                "line5": option(int, default=1),
            },
            "submodule_line8": option(dict[str, t.submodule({
                "submod_decl_line9": option(int, default=1),
            })], default={}),
        }
    """)
    infos = {info.path: info for info in evaluate(system).options}
    assert infos["imported.line5"].declarations[0].endswith("declaration_positions.py:5")
    assert infos["submodule_line8"].declarations[0].endswith("declaration_positions.py:7")
    assert infos["submodule_line8.<name>.submod_decl_line9"].declarations[0].endswith(
        "declaration_positions.py:8")


def test_conflict_names_definitions_and_declaration(write: Writer) -> None:
    """lib/options.nix + DESIGN §2: a conflict lists every definition's file:line and the
    declaration's (NixOS lists files; pydeclos adds lines)."""
    write("library.py", 'from pydeclos import option\n\noptions = {\n'
                        '    "hostname": option(str),\n}\n')
    write("other.py", 'config = {\n    "hostname": "b",\n}\n')
    system = write("system.py", 'imports = ["./library.py", "./other.py"]\n\nconfig = {\n'
                                '    "hostname": "a",\n}\n')
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        evaluate(system).value("hostname")
    message = str(raised.value)
    assert "other.py:2" in message and "system.py:4" in message and "library.py:4" in message


def test_error_typo_multiple_suggestions() -> None:
    """checkConfigError 'Did you mean .bar., .baz. or .foo.\\?' config
    ./error-typo-multiple-suggestions.nix"""
    declare = Module(options={name: option(bool, default=False) for name in ("foo", "bar", "baz")})
    with pytest.raises(e.UnknownOptionError) as raised:
        ev(declare, Module(config={"far": True})).to_data()
    assert "Did you mean `bar`, `baz` or `foo`?" in str(raised.value)


def test_error_mk_option_in_config_nested() -> None:
    """config.nest.wrong2 ./error-mkOption-in-config.nix"""
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`nest(\.wrong2)?` does not exist.*It "
                                                   r"seems as if you're trying to declare an "
                                                   r"option by placing it into `config` rather "
                                                   r"than `options`!"):
        ev(Module(config={"nest": {"wrong2": option(int)}})).to_data()
