"""Evaluate a throw-away system.py against the standard library."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pydeclos.errors import PydeclosError
from pydeclos.library import stdlib_modules
from pydeclos.modsys import evaluate


@pytest.fixture
def system(tmp_path: Path) -> Callable[[str], Any]:
    """`system("config = {...}")` evaluates that system file and returns the result."""

    def run(source: str) -> Any:
        path = tmp_path / "system.py"
        path.write_text(textwrap.dedent(source))
        return evaluate(path, prelude=stdlib_modules())

    return run


@pytest.fixture
def refused(system: Callable[[str], Any]) -> Callable[..., str]:
    """`refused(source, *words)`: evaluating `source` fails with a message holding every word
    (a misuse test lists the option path, the fix and the user's `system.py:N`)."""

    def check(source: str, *words: str) -> str:
        with pytest.raises(PydeclosError) as caught:
            system(source).to_data()
        message = str(caught.value)
        for word in words:
            assert word in message, f"{word!r} missing from:\n{message}"
        return message

    return check
