"""Names the image's Debian release knows (locales, keymaps, the packages outside main),
read from files that
scripts/update-debian-data generates from the Debian archive, and committed: nothing
downloads at run time, and the build host's own lists (another release) are never used.

A release without data files (a newer code name than the files cover) is not checked.
"""

from __future__ import annotations

import difflib
import functools
import os
from pathlib import Path

DATA = Path(__file__).resolve().parent


@functools.cache
def known_names(release: str, kind: str) -> frozenset[str] | None:
    """The names in data/<release>/<kind>.txt, or None when the release has no such file."""
    path = DATA / release / f"{kind}.txt"
    if not path.is_file():
        return None
    lines = path.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


@functools.cache
def package_components(release: str) -> dict[str, str] | None:
    """Package name -> the archive component it is in, for the packages outside main (from
    data/<release>/components.txt), or None when the release has no such file."""
    names = known_names(release, "components")
    if names is None:
        return None
    return dict(line.split("\t", 1) for line in names)


def releases_with(kind: str) -> list[str]:
    """The releases that have a `kind` file (for messages)."""
    return sorted(p.parent.name for p in DATA.glob(f"*/{kind}.txt"))


def suggestions(value: str, names: frozenset[str], n: int = 3) -> list[str]:
    """The closest known names, for a "did you mean": first those that share the longest
    beginning with `value` (at least two characters: `finnish` -> `fi`), then difflib's
    closest; case-insensitive, as typos are."""
    wanted = value.lower()

    def shared(name: str) -> int:
        return len(os.path.commonprefix([wanted, name.lower()]))

    def ratio(name: str) -> float:
        return difflib.SequenceMatcher(None, wanted, name.lower()).ratio()

    ordered = sorted(names)
    prefixed = sorted((name for name in ordered if shared(name) >= 2),
                      key=lambda name: (-shared(name), -ratio(name)))
    by_lower = {name.lower(): name for name in reversed(ordered)}
    close = [by_lower[name] for name in
             difflib.get_close_matches(wanted, list(by_lower), n=n, cutoff=0.6)]
    return list(dict.fromkeys(prefixed[:n] + close))[:n]
