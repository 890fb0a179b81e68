"""'Did you mean' suggestions for misspelt option names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(wrong: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Names near `wrong`: prefix completions first (`set.ena` → `set.enable`), then similar."""
    names = [
        name for name in dict.fromkeys(candidates)
        if not (wrong.startswith(name) and wrong[len(name):len(name) + 1] in (".", ""))
    ]
    prefixed = [name for name in names if name.startswith(wrong) and name != wrong]
    if "." in wrong:
        parent, _, last = wrong.rpartition(".")
        prefixed += [
            name for name in names
            if name.startswith(parent + ".") and name.rpartition(".")[2].startswith(last)
            and name not in prefixed and name != wrong
        ]
    similar = difflib.get_close_matches(wrong, names, n=limit, cutoff=0.6)
    found = list(dict.fromkeys(sorted(prefixed, key=len)[:limit] + similar))
    return found[:limit]


def did_you_mean(wrong: str, candidates: Iterable[str]) -> str:
    """` Did you mean `a`, `b` or `c`?` (with a leading space), or '' without candidates."""
    found = close_names(wrong, candidates)
    if not found:
        return ""
    quoted = [f"`{name}`" for name in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" Did you mean {listed}?"
