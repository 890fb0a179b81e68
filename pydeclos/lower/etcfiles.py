"""The two kinds of managed /etc entries `environment.etc` turns into."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EtcFile:
    """Content shipped in /usr/share/pydeclos/etc and linked (or copied) into /etc.

    `origin` is the option path that produced it, for error messages."""

    content: bytes
    origin: str
    mode: int = 0o644
    user: str = "root"
    group: str = "root"


@dataclass(frozen=True)
class EtcLink:
    """A link in /etc to a fixed target, such as /etc/localtime -> the zone file."""

    target: str
    origin: str


EtcEntry = EtcFile | EtcLink
