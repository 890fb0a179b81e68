"""Every mistake the module system reports, one class per kind.

Messages follow NixOS' wording where it exists (so its documentation and habits carry
over), name the option path and the file:line of each definition and declaration involved,
and end with a hint saying how to fix it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pydeclos.errors import PydeclosError

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def show_path(path: Iterable[str]) -> str:
    """`a.b."example.org".c`, `a.list[0].b`: names that are not identifiers are quoted."""
    text = ""
    for part in path:
        if part.startswith("[") and part.endswith("]"):
            text += part
            continue
        shown = part if _PLAIN_NAME.match(part) or part in ("*", "<name>") else json.dumps(part)
        text = f"{text}.{shown}" if text else shown
    return text


_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"|([^.]+)')


def split_path(text: str) -> list[str]:
    """`users.users."example.org".home` → ['users', 'users', 'example.org', 'home'] (the
    inverse of `show_path`)."""
    parts = []
    position = 0
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            break
        quoted, plain = match.groups()
        parts.append(quoted.replace('\\"', '"') if quoted is not None else plain)
        position = match.end() + 1
    return parts


def show_value(value: Any, limit: int = 100) -> str:
    """A short, readable rendering of a definition value."""
    from pydeclos.modsys.values import to_plain

    try:
        text = json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, PydeclosError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class ModuleSystemError(PydeclosError):
    """Base of the module system's errors."""


class ModuleLoadError(ModuleSystemError):
    """A module file could not be loaded: missing file, Python error, malformed names."""


class ModuleImportError(ModuleLoadError):
    """An entry of `imports` or `disabled_modules` names nothing that exists."""


class DisabledModulesError(ModuleImportError):
    """An entry of `disabled_modules` is not a module, or names none that exists."""


class ConfigFunctionError(ModuleSystemError):
    """A module's config function raised an ordinary Python exception."""


class DeclarationError(ModuleSystemError):
    """An option is declared twice incompatibly, or nested under a non-submodule option."""

    relative_path: tuple[str, ...] | None = None  # inside a submodule: the path to prefix


class UnknownOptionError(ModuleSystemError):
    """A definition (or a read) names an option that no module declares."""


class UnknownOptionReadError(UnknownOptionError, AttributeError, KeyError):
    """Reading `cfg.x` where `x` is not declared: also an AttributeError and a KeyError,
    so `getattr(cfg, "x", None)`, `hasattr` and `"x" in cfg` patterns keep working."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class OptionTypeError(ModuleSystemError):
    """A definition's value is not of the option's type."""


class InvalidDefinitionError(ModuleSystemError):
    """A definition is malformed: `mk_if` with a non-bool condition, a value for an option set."""


class ConflictingDefinitionsError(ModuleSystemError):
    """Several definitions of a single-valued option disagree at the same priority."""


class UniqueOptionError(ModuleSystemError):
    """An option that takes exactly one definition has several."""


class ReadOnlyOptionError(ModuleSystemError):
    """A read-only option is set (its default counts as its one definition)."""


class NullMixError(ModuleSystemError):
    """An `X | None` option is defined both as None and as a value."""


class MissingValueError(ModuleSystemError):
    """An option without a default and without definitions was needed."""


class AssertionsFailedError(ModuleSystemError):
    """Entries of the top-level `assertions` option are false."""


class CycleError(ModuleSystemError):
    """The configuration never settles: config functions keep changing each other's inputs."""


class RemovedOptionError(ModuleSystemError):
    """A removed option was read."""
