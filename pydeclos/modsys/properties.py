"""Definition properties: the wrappers `mk_if`, `mk_merge`, `mk_override`, `mk_order`.

They are plain frozen records; the evaluator interprets them when it merges an option
(NixOS numbers, so its documentation carries over). Wrappers around a dict of options are
pushed down onto each option inside, as NixOS does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FORCE_PRIORITY = 50
PLAIN_PRIORITY = 100
DEFAULT_PRIORITY = 1000
OPTION_DEFAULT_PRIORITY = 1500

BEFORE_ORDER = 500
PLAIN_ORDER = 1000
AFTER_ORDER = 1500


class Property:
    """Base of every definition wrapper."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class If(Property):
    """`mk_if(condition, content)`: the content counts only when the condition is True."""

    condition: Any
    content: Any


@dataclass(frozen=True, slots=True)
class Merge(Property):
    """`mk_merge([a, b])`: several definitions written as one."""

    contents: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Override(Property):
    """`mk_override(priority, content)`: only the definitions with the lowest number count."""

    priority: int
    content: Any


@dataclass(frozen=True, slots=True)
class Order(Property):
    """`mk_order(priority, content)`: where a list definition goes in the merged list."""

    priority: int
    content: Any


def mk_if(condition: bool, content: Any) -> If:
    """Define `content` only if `condition` is True (the condition must be a bool)."""
    return If(condition, content)


def mk_merge(contents: list[Any] | tuple[Any, ...]) -> Merge:
    """Several definitions of the same place, merged as if they came from several modules."""
    if not isinstance(contents, list | tuple):
        raise TypeError(f"mk_merge expects a list of definitions, got {type(contents).__name__}")
    return Merge(tuple(contents))


def mk_override(priority: int, content: Any) -> Override:
    """Define `content` with an explicit priority: lower numbers win (plain = 100)."""
    return Override(_priority("mk_override", priority), content)


def mk_force(content: Any) -> Override:
    """Win over plain definitions (priority 50)."""
    return Override(FORCE_PRIORITY, content)


def mk_default(content: Any) -> Override:
    """Lose to plain definitions, win over the option's default (priority 1000)."""
    return Override(DEFAULT_PRIORITY, content)


def mk_order(priority: int, content: Any) -> Order:
    """Place a list definition by order priority: lower numbers come first (plain = 1000)."""
    return Order(_priority("mk_order", priority), content)


def mk_before(content: Any) -> Order:
    """Put these list entries before the plain ones (order 500)."""
    return Order(BEFORE_ORDER, content)


def mk_after(content: Any) -> Order:
    """Put these list entries after the plain ones (order 1500)."""
    return Order(AFTER_ORDER, content)


def _priority(function: str, priority: Any) -> int:
    """`priority`, checked here so that a wrong one fails where it was written."""
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise TypeError(f"{function} expects an int priority, got {priority!r}")
    return priority
