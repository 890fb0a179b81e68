"""Every mistake the module system reports, one class per kind.

Messages follow NixOS' wording where it exists (so its documentation and habits carry
over), name the option path and the file:line of each definition and declaration involved,
and end with a hint saying how to fix it.
"""

from __future__ import annotations

from typing import Any

from pydeclos.errors import PydeclosError

# Re-exported: code outside the engine imports them from here.
from pydeclos.modsys.paths import show_path as show_path
from pydeclos.modsys.paths import split_path as split_path


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

    # The unknown paths as written, each with the value defined there (None for a read):
    # what `other_spellings` (see `evaluate`) is asked about.
    written: tuple[tuple[str, Any], ...] = ()


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
