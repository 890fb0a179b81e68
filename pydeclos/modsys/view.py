"""`cfg`: the read-only view of the configuration that config functions receive.

Attribute (or item) access walks the option tree; reaching an option asks the evaluator
for its current value, which records that the running module read it (the dependency
graph of the fixpoint).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from pydeclos.modsys.errors import UnknownOptionReadError
from pydeclos.modsys.options import OptionSet
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.suggest import did_you_mean

if TYPE_CHECKING:
    from pydeclos.modsys.fixpoint import Evaluator


class ConfigView:
    """A set of options, read through attributes: `cfg.services.nginx.enable`."""

    __slots__ = ("_evaluator", "_node")

    def __init__(self, evaluator: Evaluator, node: OptionSet) -> None:
        object.__setattr__(self, "_evaluator", evaluator)  # past the read-only guard
        object.__setattr__(self, "_node", node)

    def __getattr__(self, name: str) -> Any:
        child = self._node.children.get(name)
        if child is None:
            if name.startswith("__"):
                raise AttributeError(name)
            return self._evaluator.read_missing(self._node, name)
        if type(child) is OptionSet:
            return ConfigView(self._evaluator, child)
        return self._evaluator.read(child.path)

    def __getitem__(self, name: str) -> Any:
        if not isinstance(name, str):
            raise KeyError(name)
        return self.__getattr__(name)

    def __contains__(self, name: object) -> bool:
        if name in self._node.children:
            return True
        free = self._evaluator.read_freeform(self._node)
        return free is not None and name in free

    def __iter__(self) -> Iterator[str]:
        free = self._evaluator.read_freeform(self._node) or {}
        return iter([*self._node.children, *(k for k in free if k not in self._node.children)])

    def __len__(self) -> int:
        return len(list(self.__iter__()))

    def __repr__(self) -> str:
        return f"<cfg {show_path(self._evaluator.prefix + self._node.path) or '(top level)'}>"

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise TypeError(
            "cfg is read-only: return definitions from config(cfg) instead of assigning"
        )


def unknown_read(prefix: tuple[str, ...], node: OptionSet, name: str,
                 candidates: list[str]) -> UnknownOptionReadError:
    path = show_path((*prefix, *node.path, name))
    error = UnknownOptionReadError(
        f"The option `{path}` does not exist (it was read in a config function)."
        f"{did_you_mean(path, candidates)}\n"
        "Check the spelling, or import the module that declares it."
    )
    error.written = ((path, None),)
    return error
