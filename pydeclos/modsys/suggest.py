"""'Did you mean' suggestions for misspelt option names.

Like NixOS: the declared siblings of the misspelt name, closest first by edit distance
(ties alphabetically), at most three; names that complete a prefix (`set.ena` →
`set.enable`) come first. Among many siblings, only close ones are named (at most half the
name's length in edits, and at least two). The options every configuration has (`assertions`, `warnings`)
are only suggested when they are close, so they do not crowd a small configuration's list.
"""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


ALWAYS_DECLARED = frozenset({"assertions", "warnings"})
CLOSE = 2  # edits


def close_names(wrong: str, candidates: Iterable[str], limit: int = 3,
                within: int | None = None, dotted: bool = True) -> list[str]:
    """The `candidates` to suggest for `wrong`, at most `within` edits away if given; with
    `dotted`, names are option paths and only siblings count."""
    parent, _, last = wrong.rpartition(".") if dotted else ("", "", wrong)
    siblings = {}
    for name in dict.fromkeys(candidates):
        prefix, _, own = name.rpartition(".") if dotted else ("", "", name)
        if prefix == parent and own != last:
            siblings[own] = name
    distance = {own: edit_distance(last, own) for own in siblings}
    completions = sorted((own for own in siblings if last and own.startswith(last)),
                         key=lambda own: (len(own), own))
    ranked = sorted(siblings, key=lambda own: (distance[own], own))
    if within is None and len(siblings) > limit:
        within = max(CLOSE, len(last) // 2)
    chosen = [
        own for own in dict.fromkeys([*completions, *ranked])
        if own in completions or (
            (within is None or distance[own] <= within)
            and (parent or not dotted or own not in ALWAYS_DECLARED or distance[own] <= CLOSE))
    ]
    return [siblings[own] for own in chosen[:limit]]


def did_you_mean(wrong: str, candidates: Iterable[str], within: int | None = None,
                 dotted: bool = True) -> str:
    """` Did you mean `a`, `b` or `c`?` (with a leading space), or '' without candidates."""
    found = close_names(wrong, candidates, within=within, dotted=dotted)
    if not found:
        return ""
    quoted = [f"`{name}`" for name in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" Did you mean {listed}?"
