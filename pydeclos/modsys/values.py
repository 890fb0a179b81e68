"""Read-only values handed to config functions, their conversion to plain JSON data, and
their short rendering in messages.

Merged values are built frozen, so they can be shared between readers and cached without
copying: a module cannot change what another module sees by mutating what it read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from pydeclos.errors import PydeclosError
from pydeclos.modsys.errors import UnknownOptionReadError
from pydeclos.modsys.suggest import did_you_mean


def _read_only(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(
        "configuration values are read-only; build a new value instead "
        "(e.g. `list(x) + [...]` or `{**x, ...}`)"
    )


class FrozenList(list[Any]):
    """A list that cannot be changed in place; `+` and slicing give ordinary lists."""

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _read_only
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class FrozenDict(dict[Any, Any]):
    """A read-only mapping (the value of a `dict[str, X]` option)."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        hint = f"; use [{name!r}]" if name in self else ""
        raise AttributeError(f"a dict option's value has no attribute {name!r}{hint}")


class Failed:
    """A place inside a value whose computation failed; reading it raises the error."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Failed)
            and type(other.error) is type(self.error)
            and str(other.error) == str(self.error)
        )

    def __hash__(self) -> int:
        return hash(str(self.error))

    def __repr__(self) -> str:
        return f"<failed: {type(self.error).__name__}>"


class AttrsValue(Mapping[str, Any]):
    """The value of a submodule (or of a set of options inside one): attribute and item access.

    Option names win over the Mapping methods (an option called `items` is readable as
    `.items`); iteration, `in`, `[]`, `.get()` behave as for a dict.
    """

    __slots__ = ("_values", "_hidden")

    def __init__(self, values: dict[str, Any], hidden: frozenset[str] = frozenset()) -> None:
        self._values = values
        self._hidden = hidden

    def __getattribute__(self, name: str) -> Any:
        if name[0] != "_":
            values = object.__getattribute__(self, "_values")
            if name in values:
                found = values[name]
                if type(found) is Failed:
                    raise found.error
                return found
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            raise AttributeError(name)
        names = list(object.__getattribute__(self, "_values"))
        raise UnknownOptionReadError(
            f"There is no option `{name}` here.{did_you_mean(name, names)}"
        )

    def __getitem__(self, name: str) -> Any:
        try:
            found = self._values[name]
        except KeyError:
            self.__getattr__(name)
        if type(found) is Failed:
            raise found.error
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AttrsValue):
            return self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __repr__(self) -> str:
        return f"AttrsValue({self._values!r})"


def freeze(value: Any) -> Any:
    """A read-only deep copy of plain data (dicts and lists become frozen)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is FrozenList or kind is FrozenDict or kind is AttrsValue:
        return value
    if isinstance(value, Mapping):
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return FrozenList(freeze(item) for item in value)
    return value


def to_plain(value: Any) -> Any:
    """JSON-ready data with sorted keys; raises the error of any failed part."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is AttrsValue:
        hidden = value._hidden
        out = {}
        for key in sorted(value._values):
            if key in hidden:
                continue
            item = value._values[key]
            if type(item) is Failed:
                raise item.error
            out[key] = to_plain(item)
        return out
    if kind is FrozenList:  # before the (slower) abstract Mapping check
        return [to_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_plain(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((to_plain(item) for item in value), key=repr)
    if kind is Failed:
        raise value.error
    if isinstance(value, int | float | str):
        return value
    return str(value)


def show_value(value: Any, limit: int = 100) -> str:
    """A short, readable rendering of a definition value."""
    try:
        text = json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, PydeclosError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
