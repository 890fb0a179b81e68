"""The Python snippets in docs/topics/*.md evaluate, so the how-to pages cannot rot.

A snippet is either a whole system file (it defines `config`) or a fragment of the dict a
config returns (it starts with `"option":`), which is wrapped in `config = {...}`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pydeclos.library import stdlib_modules
from pydeclos.modsys import evaluate
from tests.examples.conftest import ROOT

BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
# Pages whose snippets need something installed first (the shared-library example).
NEEDS_INSTALL = {"libraries.md"}


def snippets() -> list:
    found = []
    for page in sorted((ROOT / "docs" / "topics").glob("*.md")):
        if page.name in NEEDS_INSTALL:
            continue
        for number, block in enumerate(BLOCK.findall(page.read_text()), start=1):
            found.append(pytest.param(block, id=f"{page.stem}-{number}"))
    return found


@pytest.mark.parametrize("snippet", snippets())
def test_snippet_evaluates(snippet: str, tmp_path: Path) -> None:
    if snippet.lstrip().startswith('"'):
        source = "config = {\n" + snippet + "\n}\n"
    else:
        source = snippet
    path = tmp_path / "system.py"
    path.write_text(source)
    result = evaluate(path, prelude=stdlib_modules())
    result.to_data()  # raises on any failed assertion
    assert result.warnings == []
