"""Conformance, from nixpkgs lib/tests/modules.sh: imports, keys, disabledModules (files,
string paths, paths relative to the module library, keys, recursion), non-modules in
imports, definitions that depend on which options exist, and push-down errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, mk_if, option
from pydeclos import types as t
from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

from ._support import ev, value

Writer = Callable[[str, str], Path]

DECLARE_ENABLE_PY = """
from pydeclos import option
options = {"enable": option(bool, default=False, description="Some descriptive text")}
"""
DEFINE_ENABLE_PY = 'config = {"enable": True}\n'


@pytest.fixture
def files(write: Writer, tmp_path: Path) -> Path:
    """The fixture files of the disabledModules cases, in one directory."""
    write("declare-enable.py", DECLARE_ENABLE_PY)
    write("define-enable.py", DEFINE_ENABLE_PY)
    write("disable-define-enable.py", 'disabled_modules = ["./define-enable.py"]\n')
    write("disable-declare-enable.py", 'disabled_modules = ["./declare-enable.py"]\n')
    write("disable-define-enable-string-path.py",
          f'disabled_modules = [{str(tmp_path / "define-enable.py")!r}]\n')
    write("disable-enable-modules.py",
          'disabled_modules = ["define-enable.py", "declare-enable.py"]\n')
    return tmp_path


def run(directory: Path, *names: str, modules_path: Path | None = None) -> object:
    root = Module(imports=[directory / name for name in names])
    return evaluate(root, modules_path=modules_path)


# -- disabledModules -------------------------------------------------------------------------

def test_disabled_modules_baseline(files: Path) -> None:
    """checkConfigOutput '^true$' config.enable ./define-enable.nix ./declare-enable.nix"""
    assert run(files, "define-enable.py", "declare-enable.py").value("enable") is True


@pytest.mark.parametrize("fixture", ["disable-define-enable.py",
                                     "disable-define-enable-string-path.py"])
def test_disable_define_enable(files: Path, fixture: str) -> None:
    """checkConfigOutput '^false$' config.enable ... ./disable-define-enable.nix (and the
    string-path variant)."""
    assert run(files, "define-enable.py", "declare-enable.py", fixture).value("enable") is False


def test_disable_declare_enable(files: Path) -> None:
    """checkConfigError "The option .*enable.* does not exist. Definition values:\\n\\s*- In
    .*: true" ... ./disable-declare-enable.nix"""
    with pytest.raises(e.UnknownOptionError, match=r"The option `enable` does not exist\. "
                                                   r"Definition values:\n- In `.*define-enable\.py"
                                                   r":1`: true"):
        run(files, "define-enable.py", "declare-enable.py", "disable-declare-enable.py")


def test_disable_define_and_declare_enable(files: Path) -> None:
    """checkConfigError "attribute .*enable.* in selection path .*config.enable.* not found"
    ... ./disable-define-enable.nix ./disable-declare-enable.nix"""
    evaluation = run(files, "define-enable.py", "declare-enable.py", "disable-define-enable.py",
                     "disable-declare-enable.py")
    with pytest.raises(e.UnknownOptionError, match="The option `enable` does not exist"):
        evaluation.value("enable")


def test_disable_enable_modules_relative_to_the_library(files: Path) -> None:
    """checkConfigError "attribute .*enable.* ... not found" ./disable-enable-modules.nix:
    entries relative to the module library (NixOS: modulesPath)."""
    evaluation = run(files, "define-enable.py", "declare-enable.py",
                     "disable-enable-modules.py", modules_path=files)
    with pytest.raises(e.UnknownOptionError, match="The option `enable` does not exist"):
        evaluation.value("enable")


def test_disable_module_with_key() -> None:
    """checkConfigOutput '^true$' config.positive.enable / '^false$' config.negative.enable
    ./disable-module-with-key.nix: a keyed module disabled by a module with the same key."""
    declare = Module(options={"enable": option(bool, default=False)}, key="declare-enable")
    with_key = Module(key="disable-module-with-key.nix#moduleWithKey", config={"enable": True})
    positive = t.submodule(Module(imports=[declare, with_key]))
    negative = t.submodule(Module(imports=[declare, with_key], disabled_modules=[
        Module(key="disable-module-with-key.nix#moduleWithKey")]))
    evaluation = ev(Module(options={"positive": option(positive, default={}),
                                    "negative": option(negative, default={})}))
    assert evaluation.value("positive.enable") is True
    assert evaluation.value("negative.enable") is False


def test_disable_module_with_key_string() -> None:
    """disable-module-with-toString-key.nix: the key may be given as itself (a string)."""
    declare = Module(options={"enable": option(bool, default=False)})
    with_key = Module(key="corp#with-key", config={"enable": True})
    assert value("enable", Module(imports=[declare, with_key],
                                  disabled_modules=["corp#with-key"])) is False


def test_disable_module_bad_key() -> None:
    """checkConfigError 'Module ..*disable-module-bad-key.nix. contains a disabledModules item
    that is an attribute set, presumably a module, that does not have a .key. attribute.'"""
    with pytest.raises(e.ModuleImportError, match=r"`disabled_modules` in `.*test_nix_imports"
                                                  r"\.py:\d+` contains a Module without a `key`"):
        ev(Module(disabled_modules=[Module(config={})]))


@pytest.fixture
def recursive(write: Writer, tmp_path: Path) -> Path:
    """disable-recursive/: main imports foo and bar, which both import declare-enable."""
    write("declare-enable.py", DECLARE_ENABLE_PY)
    write("disable-recursive/main.py", 'imports = ["./foo.py", "./bar.py"]\n'
                                       'config = {"enable": True}\n')
    write("disable-recursive/foo.py", 'imports = ["../declare-enable.py"]\n')
    write("disable-recursive/bar.py", 'imports = ["../declare-enable.py"]\n')
    write("disable-recursive/disable-foo.py", 'disabled_modules = ["./foo.py"]\n')
    write("disable-recursive/disable-bar.py", 'disabled_modules = ["./bar.py"]\n')
    return tmp_path / "disable-recursive"


@pytest.mark.parametrize("disabled", [(), ("disable-foo.py",), ("disable-bar.py",)])
def test_disable_recursive_keeps_modules_imported_elsewhere(recursive: Path,
                                                            disabled: tuple[str, ...]) -> None:
    """checkConfigOutput '^true$' config.enable ./disable-recursive/{main.nix,disable-foo.nix}
    (and bar): a module imported by a disabled one stays if something else imports it."""
    assert run(recursive, "main.py", *disabled).value("enable") is True


def test_disable_recursive_both(recursive: Path) -> None:
    """checkConfigError 'The option .* does not exist. Definition values:\\n\\s*- In .*: true'
    config.enable ./disable-recursive/{main.nix,disable-foo.nix,disable-bar.nix}"""
    with pytest.raises(e.UnknownOptionError, match=r"The option `enable` does not exist\. "
                                                   r"Definition values:\n- In `.*main\.py:2`: "
                                                   r"true"):
        run(recursive, "main.py", "disable-foo.py", "disable-bar.py")


# -- imports and keys -------------------------------------------------------------------------

def test_a_file_imported_twice_counts_once(write: Writer) -> None:
    """lib/modules.nix: modules are de-duplicated by key (a file's path)."""
    write("declare.py", 'from pydeclos import option, types as t\n'
                        'options = {"raw": option(t.lines)}\n')
    define = write("define.py", 'config = {"raw": "pear"}\n')
    assert value("raw", Module(imports=[define.parent / "declare.py", define, define,
                                        str(define)])) == "pear"


def test_anonymous_modules_count_each_time() -> None:
    """checkConfigOutput '^"pear\\npear"$' config.twice.raw ./merge-module-with-key.nix, at the
    top level: a keyless module object imported twice is two modules."""
    declare = Module(options={"raw": option(t.lines)})
    anonymous = Module(config={"raw": "pear"})
    assert value("raw", declare, anonymous, anonymous) == "pear\npear"


def test_cyclic_imports_are_fine(write: Writer) -> None:
    """lib/modules.nix: imports are collected with a closure over keys, so a cycle of file
    imports terminates and each module counts once."""
    write("a.py", 'from pydeclos import option, types as t\nimports = ["./b.py"]\n'
                  'options = {"raw": option(t.lines)}\nconfig = {"raw": "a"}\n')
    write("b.py", 'imports = ["./a.py"]\nconfig = {"raw": "b"}\n')
    system = write("system.py", 'imports = ["./a.py"]\n')
    assert evaluate(system).value("raw") in ("a\nb", "b\na")


@pytest.mark.parametrize("entry", [42, 1.5, ["./x.py"]])
def test_module_imports_type_check(entry: object) -> None:
    """checkConfigError 'Expected a module, but found a value of type ...' config.ok.config
    ./module-imports-_type-check.nix: something that is no module in `imports`."""
    with pytest.raises(e.ModuleImportError, match="is not something to import"):
        ev(Module(imports=[entry]))


def test_import_configuration() -> None:
    """checkConfigError 'please only import the modules that make up the configuration'
    ./import-configuration.nix: an evaluated configuration is not a module."""
    evaluated = ev(Module(options={"x": option(int, default=1)}))
    with pytest.raises(e.ModuleImportError, match="is not something to import"):
        ev(Module(imports=[evaluated]))


def test_imports_come_before_the_importer() -> None:
    """DESIGN §2 (module order): a depth-first walk where a module's imports come before it;
    NixOS reverses the list, DESIGN keeps import order."""
    declare = Module(options={"items": option(list[str], default=[])})
    inner = Module(config={"items": ["inner"]})
    outer = Module(imports=[inner], config={"items": ["outer"]})
    assert value("items", declare, outer, Module(config={"items": ["last"]})) == [
        "inner", "outer", "last"]


# -- definitions that depend on which options exist -------------------------------------------

def dependent(cfg: object) -> dict:
    present = "enable" in cfg
    return {"value": 360 if present else 7, **({"enable": True} if present else {})}


def dependent_nested(cfg: object) -> dict:
    present = "enable" in cfg.set
    return {"set": {"value": 360 if present else 7, **({"enable": True} if present else {})}}


DECLARE_VALUE = Module(options={"value": option(int)})
DECLARE_ENABLE = Module(options={"enable": option(bool, default=False)})
DECLARE_NESTED_VALUE = Module(options={"set": {"value": option(int)}})
DECLARE_NESTED_ENABLE = Module(options={"set": {"enable": option(bool, default=False)}})


def test_define_option_dependently() -> None:
    """checkConfigOutput '^true$' config.enable / '^360$' config.value
    ./define-option-dependently.nix ./declare-enable.nix ./declare-int-positive-value.nix"""
    evaluation = ev(Module(config=dependent), DECLARE_ENABLE, DECLARE_VALUE)
    assert evaluation.value("enable") is True
    assert evaluation.value("value") == 360


def test_define_option_dependently_absent() -> None:
    """checkConfigOutput '^7$' config.value ./define-option-dependently.nix
    ./declare-int-positive-value.nix"""
    assert value("value", Module(config=dependent), DECLARE_VALUE) == 7


def test_define_option_dependently_nested() -> None:
    """checkConfigOutput '^true$' config.set.enable / '^360$' config.set.value / '^7$'
    ./define-option-dependently-nested.nix ..."""
    evaluation = ev(Module(config=dependent_nested), DECLARE_NESTED_ENABLE, DECLARE_NESTED_VALUE)
    assert evaluation.value("set.enable") is True
    assert evaluation.value("set.value") == 360
    assert value("set.value", Module(config=dependent_nested), DECLARE_NESTED_VALUE) == 7


# -- push-down errors --------------------------------------------------------------------------

def test_push_down_non_attrs() -> None:
    """checkConfigError "In module .*test-push-down-non-attrs.nix., you're trying to define a
    value of type `bool' rather than an attribute set for the option" config: a mkIf around a
    non-dict at the top of config."""
    with pytest.raises(e.InvalidDefinitionError, match=r"must be a dict of option values, but "
                                                       r"`.*test_nix_imports\.py:\d+` gives false"):
        ev(Module(config=mk_if(True, False)))


def test_value_for_an_option_set() -> None:
    """lib/modules.nix: a plain value where an option set is (`set = true` with `set.enable`
    declared) is an error naming the set."""
    declare = Module(options={"set": {"enable": option(bool, default=False)}})
    with pytest.raises(e.InvalidDefinitionError, match=r"`set` is a set of options"):
        ev(declare, Module(config={"set": True}))


def test_modules_with_the_same_key_count_once() -> None:
    """lib/modules.nix: modules are de-duplicated by key; the first one reached is kept
    (DESIGN §2: "two distinct Module objects are two modules unless they share a key")."""
    declare = Module(options={"raw": option(t.lines)})
    first = Module(key="shared", config={"raw": "first"})
    second = Module(key="shared", config={"raw": "second"})
    assert value("raw", declare, first, second) == "first"


def test_disabling_a_module_disables_its_imports_unless_imported_elsewhere() -> None:
    """lib/modules.nix: a disabled module's imports are not collected through it."""
    declare = Module(options={"items": option(list[str], default=[])}, key="declare")
    inner = Module(key="inner", config={"items": ["inner"]})
    outer = Module(key="outer", imports=[inner], config={"items": ["outer"]})
    assert value("items", declare, outer, Module(disabled_modules=["outer"])) == []
    assert value("items", declare, outer, inner, Module(disabled_modules=["outer"])) == ["inner"]
