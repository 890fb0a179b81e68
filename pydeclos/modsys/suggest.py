"""'Did you mean' suggestions for misspelt option names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(wrong: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Names near `wrong`: siblings first — completions of a prefix (`set.ena` →
    `set.enable`), then similar spellings — and similar full paths if no sibling is close."""
    names = [
        name for name in dict.fromkeys(candidates)
        if name != wrong and not (wrong.startswith(name) and wrong[len(name)] == ".")
    ]
    parent, _, last = wrong.rpartition(".")
    siblings = {
        name.rpartition(".")[2]: name for name in names if name.rpartition(".")[0] == parent
    }
    found = [siblings[key] for key in sorted(
        (key for key in siblings if key.startswith(last)), key=len)]
    found += [siblings[key] for key in difflib.get_close_matches(last, list(siblings), n=limit,
                                                                 cutoff=0.6)]
    if not found:
        found = difflib.get_close_matches(wrong, names, n=limit, cutoff=0.75)
    return list(dict.fromkeys(found))[:limit]


def did_you_mean(wrong: str, candidates: Iterable[str]) -> str:
    """` Did you mean `a`, `b` or `c`?` (with a leading space), or '' without candidates."""
    found = close_names(wrong, candidates)
    if not found:
        return ""
    quoted = [f"`{name}`" for name in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" Did you mean {listed}?"
