"""Can the package mirrors of a build tree be reached? Asked before mkosi starts.

A build without its mirror fails minutes later inside apt with a page of output; one
request per mirror here turns that into one sentence naming the mirror and the fix.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydeclos.build.errors import MirrorUnreachableError

TIMEOUT_SECONDS = 15


def apt_sources(tree: Path) -> list[tuple[str, str]]:
    """(URI, first suite) of every deb822 stanza in the tree's apt sources."""
    found: list[tuple[str, str]] = []
    for sources in sorted(tree.glob("**/etc/apt/sources.list.d/*.sources")):
        for stanza in sources.read_text().split("\n\n"):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith(("#", " ", "\t")):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
            uris, suites = fields.get("uris", "").split(), fields.get("suites", "").split()
            if uris and suites:
                found.extend((uri, suites[0]) for uri in uris)
    return found


def check_mirrors(tree: Path) -> None:
    """Fetch each mirror's Release file for the first suite (all at once); raise if one
    cannot be reached."""
    with ThreadPoolExecutor() as pool:
        for error in pool.map(_unreachable, apt_sources(tree)):
            if error is not None:
                raise error


def _unreachable(source: tuple[str, str]) -> MirrorUnreachableError | None:
    uri, suite = source
    url = f"{uri.rstrip('/')}/dists/{suite}/Release"
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
            return None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return MirrorUnreachableError(
            f"cannot reach the package mirror {uri} (asked for {url}: {reason}). "
            "Check this machine's network or proxy (http_proxy), or point `image.mirror` "
            "(and `image.security_mirror`) at a mirror that is reachable."
        )
