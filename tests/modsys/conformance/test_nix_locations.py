"""Conformance: each definition is reported at the line it was written.

Derived from every `checkConfigError '... Definition values:\\n\\s*- In .*<file>...'` case of
nixpkgs lib/tests/modules.sh (define-enable.nix, submoduleFiles.nix, mkDefinition.nix
'Cannot merge definitions.*- In .file.*- In .other.'). In NixOS every definition carries its
own file.

DESIGN §2: "Every error names ... the file:line of each definition" and "Definitions in any
dict literal, top-level or returned by a function, are located at the line of their key" —
including several `Module(config={...})` literals in one file (fixed in f5a0aac; before, all
were located at the first line where the key appears in the file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, option
from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

from ._support import value

Writer = Callable[[str, str], Path]


def test_module_objects_in_one_file_conflict_lines(write: Writer) -> None:
    """Conflicting definitions from two Module objects name their own lines."""
    system = write("system.py", """
        from pydeclos import Module, option

        imports = [
            Module(options={"x": option(int)}),
            Module(config={"x": 1}),
            Module(config={"x": 2}),
        ]
    """)
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        evaluate(system).value("x")
    message = str(raised.value)
    assert "system.py:5`: 1" in message
    assert "system.py:6`: 2" in message
    assert "Declared in `" in message and "system.py:4`" in message


def test_define_enable_type_error_line() -> None:
    """A type error names the line of the Module that holds the bad value (here: not the
    declaration's line, where the same key first appears)."""
    declare = Module(options={"enable": option(int)})
    define = Module(config={"enable": "x"})
    with pytest.raises(e.OptionTypeError) as raised:
        value("enable", declare, define)
    assert f"test_nix_locations.py:{define.site.line}`: \"x\"" in str(raised.value)


def test_definition_returned_by_a_function_is_located_at_its_key(write: Writer) -> None:
    """DESIGN §2: definitions in a dict returned by a config function are located at the line
    of their key."""
    system = write("system.py", """
        from pydeclos import option

        options = {"port": option(int)}


        def config(cfg):
            return {
                "port": "eighty",
            }
    """)
    with pytest.raises(e.OptionTypeError, match=r"system\.py:8`: \"eighty\""):
        evaluate(system).value("port")


def test_submodule_entry_definitions_are_located(write: Writer) -> None:
    """submoduleFiles.nix: definitions inside a submodule entry keep their file and line."""
    system = write("system.py", """
        from pydeclos import Module, option, types as t

        HOST = t.submodule({"port": option(int)})
        imports = [
            Module(options={"hosts": option(dict[str, HOST], default={})}),
            Module(config={"hosts": {"a": {"port": 1}}}),
            Module(config={"hosts": {"a": {"port": 2}}}),
        ]
    """)
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        evaluate(system).value("hosts")
    message = str(raised.value)
    assert "`hosts.a.port`" in message
    assert "system.py:6`: 1" in message and "system.py:7`: 2" in message


def test_parts_of_mk_merge_are_located_at_their_keys(write: Writer) -> None:
    """Each part of a top-level `config = mk_merge([...])` is its own definition, at its own
    line (not at the declaration, the first line of the file with the key)."""
    system = write("system.py", """
        from pydeclos import mk_merge, option

        options = {"name": option(str)}
        config = mk_merge([
            {"name": "a"},
            {"name": "b"},
        ])
    """)
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        evaluate(system).value("name")
    message = str(raised.value)
    assert 'system.py:5`: "a"' in message and 'system.py:6`: "b"' in message


def test_top_level_config_dict_is_located_inside_its_assignment(write: Writer) -> None:
    """A file's `config = {...}` is searched before the rest of the file, so a key that the
    same file also declares is located at the definition."""
    system = write("system.py", """
        from pydeclos import option

        options = {"port": option(int)}
        config = {
            "port": "eighty",
        }
    """)
    with pytest.raises(e.OptionTypeError, match=r"system\.py:5`: \"eighty\""):
        evaluate(system).value("port")


def test_parts_of_mk_merge_inside_values_are_located(write: Writer) -> None:
    """`mk_merge` parts below an option (entries of a dict option, list or scalar values)
    returned by a config function are located at their own lines too."""
    system = write("system.py", """
        from pydeclos import mk_if, mk_merge, option, types as t

        options = {"hosts": option(dict[str, t.submodule({"port": option(int)})], default={}),
                   "name": option(str)}
        def config(cfg):
            return mk_if(True, {
                "hosts": mk_merge([
                    {"a": {"port": 1}},
                    {"a": {"port": 2}},
                ]),
                "name": mk_merge([
                    "x",
                    "y",
                ]),
            })
    """)
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        evaluate(system).value("hosts")
    assert "system.py:8`: 1" in str(raised.value) and "system.py:9`: 2" in str(raised.value)
    with pytest.raises(e.ConflictingDefinitionsError) as raised:
        evaluate(system).value("name")
    assert 'system.py:12`: "x"' in str(raised.value) and 'system.py:13`: "y"' in str(raised.value)
