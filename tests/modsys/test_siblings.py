"""A module file imports plain Python files from its folder and its importers' folders
(shared data, where NixOS has `specialArgs`), and nothing of them outlives the evaluation."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import ModuleLoadError
from pydeclos.modsys.siblings import _folder_of

Writer = Callable[[str, str], Path]

TOY = """
from pydeclos import option
options = {"names": option(list[str], default=[]), "same": option(bool, default=False)}
"""


def test_a_module_file_imports_a_sibling_and_one_below_the_system(write: Writer) -> None:
    write("toy.py", TOY)
    write("site_data.py", "ADMINS = ['alice', 'bob']\n")
    write("parts/admins.py", """
        import site_data
        from site_data import ADMINS
        config = {"names": ADMINS, "same": site_data.__dict__.get("seen") is not None}
    """)
    root = write("system.py", """
        import site_data
        site_data.seen = True   # the same module object for every file of one evaluation
        imports = ["./toy.py", "./parts/admins.py"]
    """)
    evaluation = evaluate(root)
    assert evaluation.value("names") == ["alice", "bob"]
    assert evaluation.value("same") is True


def test_nothing_leaks_into_the_next_evaluation(tmp_path: Path, write: Writer) -> None:
    path_before = list(sys.path)
    results = []
    for name, admins in (("one", "['alice']"), ("two", "['carol', 'dave']")):
        write(f"{name}/toy.py", TOY)
        write(f"{name}/site_data.py", f"ADMINS = {admins}\n")
        root = write(f"{name}/system.py", """
            from site_data import ADMINS
            imports = ["./toy.py"]
            config = {"names": ADMINS}
        """)
        results.append(evaluate(root).value("names"))
        assert "site_data" not in sys.modules
        assert sys.path == path_before
    assert results == [["alice"], ["carol", "dave"]]


def test_an_edit_is_seen_by_the_next_evaluation(write: Writer) -> None:
    write("toy.py", TOY)
    data = write("site_data.py", "ADMINS = ['alice']\n")
    root = write("system.py", """
        from site_data import ADMINS
        imports = ["./toy.py"]
        config = {"names": ADMINS}
    """)
    assert evaluate(root).value("names") == ["alice"]
    data.write_text("ADMINS = ['alice', 'mallory-was-removed', 'eve']\n")
    assert evaluate(root).value("names") == ["alice", "mallory-was-removed", "eve"]


def test_a_missing_data_file_is_a_load_error_at_the_import(write: Writer) -> None:
    root = write("system.py", "x = 1\nfrom site_dta import ADMINS\n")
    with pytest.raises(ModuleLoadError) as caught:
        evaluate(root)
    assert "system.py:2" in str(caught.value)
    assert "No module named 'site_dta'" in str(caught.value)


def test_a_package_of_data_files(write: Writer) -> None:
    write("toy.py", TOY)
    write("sitelib/__init__.py", "")
    write("sitelib/people.py", "ADMINS = ['erin']\n")
    root = write("system.py", """
        from sitelib.people import ADMINS
        imports = ["./toy.py"]
        config = {"names": ADMINS}
    """)
    assert evaluate(root).value("names") == ["erin"]
    assert "sitelib.people" not in sys.modules


def test_modules_only_stored_below_a_folder_are_left_alone(tmp_path: Path) -> None:
    """A system.py in `/` (or in a pydeclos checkout) does not make the standard library
    (or pydeclos) its own: only a name found directly in the folder is."""
    folders = (str(tmp_path),)
    stdlib = python_module("ipaddress", str(tmp_path / "usr" / "lib" / "ipaddress.py"))
    assert _folder_of("ipaddress", stdlib, folders) is None
    data = python_module("site_data", str(tmp_path / "site_data.py"))
    assert _folder_of("site_data", data, folders) == str(tmp_path)
    inner = python_module("lib.people", str(tmp_path / "lib" / "people.py"))
    assert _folder_of("lib.people", inner, folders) == str(tmp_path)


def python_module(name: str, file: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = file
    return module


def test_a_data_package_named_like_a_loaded_module_is_told_to_rename(write: Writer) -> None:
    write("site/__init__.py", "")
    write("site/people.py", "ADMINS = ['erin']\n")
    root = write("system.py", "from site.people import ADMINS\n")
    with pytest.raises(ModuleLoadError) as caught:
        evaluate(root)
    message = str(caught.value)
    assert "system.py:1" in message
    assert "`site` is also the name of a Python module" in message
    assert "rename" in message
