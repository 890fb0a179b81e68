"""Option paths as people write them: `users.users."example.org".home`, `a.list[0].b`.

The one spelling of a path in messages, docs and `--option` arguments; names that are not
identifiers are quoted (JSON string syntax), list positions are `[n]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def show_path(path: Iterable[str]) -> str:
    """`a.b."example.org".c`, `a.list[0].b`: names that are not identifiers are quoted."""
    text = ""
    for part in path:
        if part.startswith("[") and part.endswith("]"):
            text += part
            continue
        shown = part if _PLAIN_NAME.fullmatch(part) or part in ("*", "<name>") else json.dumps(part)
        text = f"{text}.{shown}" if text else shown
    return text


_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"|([^.]+)')


def split_path(text: str) -> list[str]:
    """`users.users."example.org".home` → ['users', 'users', 'example.org', 'home'] (the
    inverse of `show_path`)."""
    parts = []
    position = 0
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            break
        quoted, plain = match.groups()
        parts.append(quoted.replace('\\"', '"') if quoted is not None else plain)
        position = match.end() + 1
    return parts
