"""systemd's path escaping (`systemd-escape --path`), for mount and swap unit names."""

from __future__ import annotations

from pathlib import PurePosixPath


def _escape_char(char: str, first: bool) -> str:
    if char.isascii() and (char.isalnum() or char in ":_" or (char == "." and not first)):
        return char
    return "".join(f"\\x{byte:02x}" for byte in char.encode())


def escape_path(path: str) -> str:
    """The unit-name form of an absolute path: `/srv/scratch` -> `srv-scratch`, `/` -> `-`."""
    stripped = str(PurePosixPath(path)).strip("/")
    if not stripped:
        return "-"
    return "".join(
        "-" if c == "/" else _escape_char(c, i == 0) for i, c in enumerate(stripped)
    )
