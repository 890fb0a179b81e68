"""pydeclos: a whole Linux system declared in Python modules.

Module files import their vocabulary from here:
`from pydeclos import option, Module, mk_if, mk_default, mk_force, types as t`.

The engine is imported on first use of one of those names, not with the package: the
commands a machine runs (`pydeclos status`, `switch`, `rollback`) never evaluate modules,
and under software emulation that import alone costs seconds.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pydeclos.__about__ import __version__

if TYPE_CHECKING:
    from pydeclos import types
    from pydeclos.modsys import (
        Module,
        mk_after,
        mk_alias_option,
        mk_before,
        mk_default,
        mk_force,
        mk_if,
        mk_merge,
        mk_order,
        mk_override,
        mk_removed_option,
        mk_renamed_option,
        option,
    )

__all__ = [
    "__version__", "Module", "option", "types",
    "mk_after", "mk_before", "mk_default", "mk_force", "mk_if", "mk_merge", "mk_order",
    "mk_override", "mk_alias_option", "mk_removed_option", "mk_renamed_option",
]
_ENGINE = frozenset(__all__) - {"__version__", "types"}


def __getattr__(name: str) -> Any:
    """`option`, `Module`, `mk_*` from pydeclos.modsys, and `types`, when first asked for."""
    if name == "types":
        return importlib.import_module("pydeclos.types")
    if name in _ENGINE:
        value = getattr(importlib.import_module("pydeclos.modsys"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pydeclos' has no attribute {name!r}")
