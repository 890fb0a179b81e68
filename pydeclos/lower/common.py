"""Small helpers shared by the lowering modules: reading options and hashing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

UNIT_DIR = "mkosi.extra/usr/lib/systemd/system"
EXTRA = "mkosi.extra"
ETC_STORE = "usr/share/pydeclos/etc"


def section(cfg: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    """The sub-mapping at `path`, or an empty mapping when an option set is absent."""
    node: Any = cfg
    for key in path:
        if not isinstance(node, Mapping):
            return {}
        node = node.get(key) or {}
    return node if isinstance(node, Mapping) else {}


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and fixed separators: equal data, equal text, equal hash."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def as_list(value: Any) -> list[Any]:
    """A list option's value; None reads as empty."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)
