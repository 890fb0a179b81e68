"""Definitions are located at the line of their key, in any dict literal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import ConflictingDefinitionsError

Writer = Callable[[str, str], Path]

LIBRARY = """
from pydeclos import option, types as t
options = {
    "x": option(int),
    "net": {"name": option(str, default="n")},
    "hosts": option(dict[str, t.submodule({"port": option(int)})], default={}),
}
"""


def conflict_sites(write: Writer, tmp_path: Path, system: str, other: str) -> str:
    library = write("library.py", LIBRARY)
    write("other.py", other)
    path = write("system.py", system)
    with pytest.raises(ConflictingDefinitionsError) as raised:
        evaluate(path, prelude=[library]).to_data()
    return str(raised.value)


@pytest.fixture(autouse=True)
def relative_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("system", "line"), [
    ('imports = ["./other.py"]\nconfig = {\n    "x": 1,\n}\n', 3),
    ('imports = ["./other.py"]\n\ndef config(cfg):\n    return {\n        "x": 1}\n', 5),
    ('from pydeclos import mk_if\nimports = ["./other.py"]\ndef config(cfg):\n'
     '    return mk_if(True, {\n        "x": 1,\n    })\n', 5),
    ('from pydeclos import mk_merge\nimports = ["./other.py"]\nconfig = mk_merge([\n'
     '    {"hosts": {}},\n    {"x": 1},\n])\n', 5),
    ('from pydeclos import Module\nmodule = Module(\n    imports=["./other.py"],\n'
     '    config={"x": 1},\n)\n', 4),
])
def test_scalar_definitions(write: Writer, tmp_path: Path, system: str, line: int) -> None:
    message = conflict_sites(write, tmp_path, system, 'config = {"x": 2}\n')
    assert f"`system.py:{line}`" in message
    assert "`other.py:1`" in message
    assert "`library.py:3`" in message


def test_keys_inside_dict_options_and_submodules(write: Writer, tmp_path: Path) -> None:
    system = ('imports = ["./other.py"]\nconfig = {\n    "hosts": {\n        "a.org": {\n'
              '            "port": 1,\n        },\n    },\n}\n')
    message = conflict_sites(write, tmp_path, system,
                             'config = {"hosts": {"a.org": {"port": 2}}}\n')
    assert '`hosts."a.org".port`' in message
    assert "`system.py:5`" in message


def test_dotted_keys(write: Writer, tmp_path: Path) -> None:
    system = 'imports = ["./other.py"]\nconfig = {\n\n    "net.name": "a",\n}\n'
    message = conflict_sites(write, tmp_path, system, 'config = {"net": {"name": "b"}}\n')
    assert "`net.name`" in message
    assert "`system.py:4`" in message


def test_dotted_keys_stop_at_the_first_option(write: Writer, tmp_path: Path) -> None:
    library = write("library.py", LIBRARY)
    system = write("system.py", 'config = {"hosts.my.host": {"port": 1}, "x": 1, '
                                '"net.name": "n"}\n')
    assert evaluate(system, prelude=[library]).value("hosts") == {"my.host": {"port": 1}}


def test_computed_keys_fall_back_to_the_enclosing_key(write: Writer, tmp_path: Path) -> None:
    system = ('imports = ["./other.py"]\ndef config(cfg):\n    return {\n        "hosts": {\n'
              '            name: {"port": 1} for name in ["c"]\n        },\n    }\n')
    message = conflict_sites(write, tmp_path, system, 'config = {"hosts": {"c": {"port": 2}}}\n')
    assert "`system.py:5`" in message or "`system.py:4`" in message
