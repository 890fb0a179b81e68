"""pydeclos: a whole Linux system declared in Python modules.

Module files import their vocabulary from here:
`from pydeclos import option, Module, mk_if, mk_default, mk_force, types as t`.
"""

from pydeclos import types  # noqa: E402  (t.*: the engine's types and Linux domain types)
from pydeclos.__about__ import __version__
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
