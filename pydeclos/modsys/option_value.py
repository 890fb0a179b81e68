"""One option's value from its definitions (NixOS' evalOptionValue, step by step).

The default is a definition of priority 1500; a read-only option accepts no other; then
`mk_if` and priorities filter, the type checks and merges, and `apply` transforms. The
common cases (one plain scalar, a default alone) take shortcuts with the same result.
"""

from __future__ import annotations

from typing import Any

from pydeclos.errors import PydeclosError
from pydeclos.modsys.definitions import (
    NO_VALUE,
    Definition,
    declared_at,
    highest_priority_definitions,
    show_definitions,
    type_mismatch,
)
from pydeclos.modsys.errors import (
    ConfigFunctionError,
    MissingValueError,
    ModuleSystemError,
    ReadOnlyOptionError,
    RemovedOptionError,
)
from pydeclos.modsys.options import UNSET, DeclaredOption
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.properties import OPTION_DEFAULT_PRIORITY, Override, Property


def evaluate_option(decl: DeclaredOption, defs: list[Definition], path: tuple[str, ...]) -> Any:
    """The value of one option from its definitions (NixOS evalOptionValue)."""
    if decl.removed is not None:
        raise RemovedOptionError(
            f"The option `{show_path(path)}` can no longer be used since it's been removed. "
            f"{decl.removed}"
        )
    if len(defs) == 1 and decl.type.passthrough and decl.apply is None and not decl.read_only:
        value = defs[0].value  # the most common case: one plain scalar definition
        if not isinstance(value, Property) and decl.type.check(value):
            return value
    if not defs:
        if decl._default_value is not UNSET:
            return decl._default_value
        default = decl.default
        if default is UNSET:
            return _empty_value(decl, path, "Give it a value in the configuration (it has no "
                                "default).")
        if decl.type.passthrough and decl.apply is None and decl.type.check(default):
            return default  # a plain scalar default: its own merged value
        if not isinstance(default, Property):
            final = [Definition(default, decl, (), -1)]
        else:
            final, _ = highest_priority_definitions(path, [Definition(default, decl, (), -1)])
    elif not decl.read_only and _all_plain(defs):
        final = defs  # plain definitions (priority 100) always beat the default (1500)
    else:
        raw = defs
        if decl.has_default:
            raw = [Definition(Override(OPTION_DEFAULT_PRIORITY, decl.default), decl, (), -1),
                   *defs]
        if decl.read_only and len(raw) > 1:
            raise ReadOnlyOptionError(
                f"The option `{show_path(path)}` is read-only, but it's set multiple times. "
                f"Definition values:\n{show_definitions(raw)}{declared_at(decl.sites)}\n"
                "Remove the definitions: a read-only option keeps the value its declaration "
                "gives."
            )
        final, _ = highest_priority_definitions(path, raw)
        if not final:
            return _empty_value(decl, path, "Every definition of it is under a false `mk_if`, "
                                "and it has no default.")
    type_ = decl.type
    invalid = [d for d in final if not type_.check(d.value)]
    if invalid:
        raise type_mismatch(path, type_, invalid, decl.sites)
    try:
        value = type_.merge(path, final)
    except ModuleSystemError as error:
        raise _with_declarations(error, decl, path) from None
    value = _applied(decl, path, value)
    if not defs and _default_is_shared(decl, value):
        decl._default_value = value
    return value


def _empty_value(decl: DeclaredOption, path: tuple[str, ...], why: str) -> Any:
    """Without a default or a definition, an option whose type has an empty value (a list,
    a dict, `X | None`, a submodule with its own defaults) has that value (as in NixOS);
    any other option has no value, and needing it is an error."""
    value = decl.type.empty_value(path)
    if value is NO_VALUE:
        raise MissingValueError(
            f"The option `{show_path(path)}` was accessed but has no value defined. Try "
            f"setting the option.{declared_at(decl.sites)}\n{why}"
        )
    return _applied(decl, path, value)


def _applied(decl: DeclaredOption, path: tuple[str, ...], value: Any) -> Any:
    if decl.apply is None:
        return value
    try:
        return decl.apply(value)
    except PydeclosError:
        raise
    except Exception as error:
        raise ConfigFunctionError(
            f"The `apply` function of option `{show_path(path)}` (declared in "
            f"`{decl.sites[0]}`) raised {type(error).__name__}: {error}"
        ) from error


def _all_plain(defs: list[Definition]) -> bool:
    if not defs:
        return False
    for definition in defs:
        if isinstance(definition.value, Property):
            return False
    return True


def _with_declarations(error: ModuleSystemError, decl: DeclaredOption,
                       path: tuple[str, ...]) -> ModuleSystemError:
    """An error about this very option, with its declaration sites before the hint line."""
    message = str(error)
    if "Declared in" in message or f"`{show_path(path)}`" not in message.partition("\n")[0]:
        return error
    body, _, hint = message.rpartition("\n")
    error.args = (f"{body}{declared_at(decl.sites)}\n{hint}" if body else message
                  + declared_at(decl.sites),)
    return error


def _default_is_shared(decl: DeclaredOption, value: Any) -> bool:
    """Whether the default's merged value is the same wherever the option lives (values of
    submodules know their name, so only empty ones are shared)."""
    return not decl.type.has_submodule or (isinstance(value, dict | list) and not value)
