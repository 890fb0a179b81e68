"""PENDING — the parts of a top-level `mk_merge([...])` in a module file are located at the
wrong line.

Derived from the `- In <file>` lines that every definition error of nixpkgs
lib/tests/modules.sh shows (for example mkDefinition.nix, 'Cannot merge definitions.*- In
.file.*- In .other.'). NixOS gives each definition its own file.

pydeclos now: for

    options = {"name": option(str)}      # line 3
    config = mk_merge([                  # line 4
        {"name": "a"},                   # line 5
        {"name": "b"},                   # line 6
    ])

the conflict reads "- In `system.py:3`: \"a\"" and "- In `system.py:3`: \"b\"". That is the
first line of the file where the key `"name"` appears, which here is the declaration. The
expected lines are :5 and :6. The same locator bug existed for `Module(...)` literals and was
fixed in f5a0aac; the `mk_merge` list at the top of a file is still resolved by a file-wide
search for the key.

DESIGN §2: "Definitions in any dict literal, top-level or returned by a function, are
located at the line of their key."
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

Writer = Callable[[str, str], Path]


def test_parts_of_mk_merge_are_located_at_their_keys(write: Writer) -> None:
    """Each part of an mk_merge is its own definition, at its own line."""
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
