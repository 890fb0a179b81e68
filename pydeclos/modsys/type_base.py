"""The base of option types: a value that checks a definition and merges several.

Types are values (NixOS' types.nix model): a shallow `check`, a `merge` of the definitions
that survived priority filtering, and what nested options they hold (for docs).
"""

from __future__ import annotations

from typing import Any

from pydeclos.modsys.definitions import NO_VALUE, Definition, merge_equal
from pydeclos.modsys.values import freeze


class Type:
    """Base of option types. `passthrough`: a single checked definition is its own value."""

    description = "value"
    passthrough = False
    has_submodule = False  # values differ by where they live (submodules know their name)

    def check(self, value: Any) -> bool:
        return True

    def explain(self, value: Any) -> str:
        """Why `value` fails `check` (empty when the description says it all)."""
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        return freeze(merge_equal(path, defs))

    def empty_value(self, path: tuple[str, ...]) -> Any:
        """The value of an option of this type with no default and no definition, or
        NO_VALUE when there is none (NixOS' emptyValue)."""
        return NO_VALUE

    def sub_options(self) -> tuple[Any, str] | None:
        """(option tree, placeholder) of nested options, for docs and nested declarations."""
        return None

    def with_options(self, options: Any, site: Any) -> Type | None:
        """This type extended by nested option declarations, if it supports them."""
        return None

    def combine(self, other: Type) -> Type | None:
        """The type of an option declared twice, with `self` and `other`; None if incompatible."""
        return self if other.description == self.description and type(other) is type(self) else None

    # `t.Port | None`: the union needs `as_type`, which is built on the types that derive
    # from this class. The one import cycle of the types layer, contained in these two
    # function-local imports.
    def __or__(self, other: Any) -> Type:
        from pydeclos.modsys.annotations import as_type
        from pydeclos.modsys.compound_types import union_of

        return union_of([self, as_type(other)])

    def __ror__(self, other: Any) -> Type:
        from pydeclos.modsys.annotations import as_type
        from pydeclos.modsys.compound_types import union_of

        return union_of([as_type(other), self])

    def __repr__(self) -> str:
        return self.description
