"""A module file imports plain Python files from its folder and its importers' folders
(shared data, where NixOS has `specialArgs`), and nothing of them outlives the evaluation."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import ModuleLoadError

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
