"""Module files and import forms: paths, directories, importable names, entry points,
Module objects, de-duplication by key, disabled_modules, and load errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, option
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import (
    DisabledModulesError,
    ModuleImportError,
    ModuleLoadError,
    UnknownOptionError,
)

Writer = Callable[[str, str], Path]

LIBRARY = """
from pydeclos import option
options = {"names": option(list[str], default=[])}
"""


def test_relative_paths_and_directories(write: Writer) -> None:
    write("lib/names.py", LIBRARY)
    write("parts/default.py", 'imports = ["../lib/names.py"]\nconfig = {"names": ["parts"]}\n')
    system = write("system.py", 'imports = ["./lib/names.py", "./parts"]\n'
                                'config = {"names": ["root"]}\n')
    assert evaluate(system).value("names") == ["parts", "root"]


def test_a_file_imported_by_two_paths_counts_once(write: Writer) -> None:
    write("lib.py", LIBRARY)
    write("a.py", 'imports = ["./lib.py"]\nconfig = {"names": ["a"]}\n')
    write("sub/b.py", 'imports = ["../lib.py", "../a.py"]\nconfig = {"names": ["b"]}\n')
    system = write("system.py", 'imports = ["./a.py", "sub/b.py", "./sub/../a.py"]\n')
    assert evaluate(system).value("names") == ["a", "b"]


def test_module_object_in_a_file(write: Writer) -> None:
    write("lib.py", LIBRARY)
    system = write("system.py", """
        from pydeclos import Module
        module = Module(imports=["./lib.py"], config={"names": ["object"]})
    """)
    assert evaluate(system).value("names") == ["object"]


def test_importable_module_names(write: Writer, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write("site/corp_modules/__init__.py", "")
    write("site/corp_modules/names.py", LIBRARY)
    write("site/corp_modules/web.py", 'imports = ["./names.py"]\nconfig = {"names": ["web"]}\n')
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    system = write("system.py", 'imports = ["corp_modules.web", "corp_modules.names"]\n')
    assert evaluate(system).value("names") == ["web"]


def test_entry_point_names(write: Writer, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    write("site/acme_web.py", LIBRARY + 'config = {"names": ["acme"]}\n')
    write("site/acme_web-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: acme-web\n"
                                                  "Version: 1.0\n")
    write("site/acme_web-1.0.dist-info/entry_points.txt",
          "[pydeclos.modules]\nacme-web = acme_web\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    system = write("system.py", 'imports = ["acme-web"]\n')
    assert evaluate(system).value("names") == ["acme"]


def test_disabled_modules_by_path_and_key(write: Writer) -> None:
    write("lib.py", LIBRARY)
    write("noisy.py", 'imports = ["./lib.py"]\nconfig = {"names": ["noisy"]}\n')
    system = write("system.py", """
        from pydeclos import Module
        quiet = Module(key="quiet", config={"names": ["quiet"]})
        imports = ["./lib.py", "./noisy.py", quiet, Module(config={"names": ["kept"]})]
        disabled_modules = ["./noisy.py", Module(key="quiet")]
    """)
    assert evaluate(system).value("names") == ["kept"]


def test_disabled_modules_relative_to_the_library(write: Writer, tmp_path: Path) -> None:
    write("library/services/web.py", LIBRARY + 'config = {"names": ["web"]}\n')
    write("library/base.py", LIBRARY.replace("names", "other"))
    system = write("system.py", 'disabled_modules = ["services/web.py"]\n')
    prelude = [tmp_path / "library/base.py", tmp_path / "library/services/web.py"]
    evaluation = evaluate(system, prelude=prelude, modules_path=tmp_path / "library")
    with pytest.raises(UnknownOptionError):
        evaluation.value("names")


def test_prelude_comes_before_the_root(write: Writer) -> None:
    lib = write("lib.py", LIBRARY + 'config = {"names": ["prelude"]}\n')
    system = write("system.py", 'config = {"names": ["root"]}\n')
    assert evaluate(system, prelude=[lib]).value("names") == ["prelude", "root"]


def test_missing_file_names_the_importer_line(write: Writer) -> None:
    write("hardware.py", "")
    system = write("system.py", 'imports = [\n    "./hardwre.py",\n]\n')
    with pytest.raises(ModuleImportError, match=r"(?s)system.py:2.*hardwre.py.*does not exist"
                                                r".*Did you mean `hardware.py`"):
        evaluate(system)


def test_missing_module_name(write: Writer) -> None:
    system = write("system.py", 'imports = ["no_such_pydeclos_library"]\n')
    with pytest.raises(ModuleImportError, match="no module named `no_such_pydeclos_library`"):
        evaluate(system)


def test_python_errors_in_module_files_have_file_and_line(write: Writer) -> None:
    system = write("system.py", 'x = 1\nconfig = {"a": undefined_name}\n')
    with pytest.raises(ModuleLoadError, match=r"system.py:2.*NameError"):
        evaluate(system)
    broken = write("broken.py", "config = {\n")
    with pytest.raises(ModuleLoadError, match=r"broken.py:1.*SyntaxError"):
        evaluate(broken)


def test_malformed_conventional_names(write: Writer) -> None:
    with pytest.raises(ModuleLoadError, match="`imports` in `.*system.py:1` must be a list"):
        evaluate(write("system.py", 'imports = "./lib.py"\n'))
    with pytest.raises(ModuleLoadError, match="`config` .* must be a dict or a function"):
        evaluate(write("system2.py", "config = 3\n"))


def test_module_files_do_not_pollute_each_other(write: Writer) -> None:
    write("a.py", LIBRARY + "helper = 1\n")
    system = write("system.py", 'imports = ["./a.py"]\n')
    before = set(sys.modules)
    evaluate(system)
    assert "a" not in set(sys.modules) - before


def test_module_objects_without_key_count_each_time() -> None:
    """As in NixOS: only a key (or a file) makes two imports the same module."""
    declare = Module(options={"names": option(list[str], default=[])})
    same = Module(config={"names": ["x"]})
    keyed = Module(config={"names": ["k"]}, key="k")
    assert evaluate(Module(imports=[declare, same, same, keyed, keyed])).value("names") == [
        "x", "x", "k"]


def test_disabling_by_key_string_and_keyless_module_error() -> None:
    declare = Module(options={"names": option(list[str], default=[])})
    keyed = Module(config={"names": ["k"]}, key="corp#extra")
    root = Module(imports=[declare, keyed], disabled_modules=["corp#extra"])
    assert evaluate(root).value("names") == []
    with pytest.raises(ModuleImportError, match="without a `key`"):
        evaluate(Module(imports=[declare], disabled_modules=[Module()]))


def test_unknown_disabled_module_suggests_library_files(write: Writer, tmp_path: Path) -> None:
    write("library/services/nginx.py", LIBRARY)
    system = write("system.py", 'disabled_modules = ["services/ngnix.py"]\n')
    with pytest.raises(ModuleImportError, match=r"(?s)in `disabled_modules` of `.*system.py:1`.*"
                                                r"Did you mean `nginx.py`\?.*module library"):
        evaluate(system, modules_path=tmp_path / "library")


@pytest.mark.parametrize(("entry", "expected"), [
    ('"getty"', "`getty` names no module (no module key, importable module or "
                "`pydeclos.modules` entry point has that name). Did you mean `services/getty.py`?"),
    ('"services.getty"', "`services.getty` names no module"),
    ("42", "42 is not a module. Write the module's file path"),
    ("None", "None is not a module."),
    ('"services/gety.py"', "the module file `services/gety.py` does not exist"),
    ("Module(config={})", "contains a Module without a `key`"),
])
def test_a_bad_disabled_modules_entry_is_reported_as_one_at_its_line(
        write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str,
        expected: str) -> None:
    write("library/services/getty.py", LIBRARY)
    write("other.py", "")
    system = write("system.py", "from pydeclos import Module\n"
                                f'disabled_modules = [\n    "./other.py",\n    {entry},\n]\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DisabledModulesError) as caught:
        evaluate(system, modules_path=tmp_path / "library")
    message = str(caught.value)
    assert expected in message
    assert "disabled_modules` " in message and "system.py:4`" in message
    assert "imported by" not in message and "no module named" not in message
