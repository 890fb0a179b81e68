"""Option declarations: `option(...)`, and the tree of everything the modules declare.

Several modules may declare the same option if their types combine (submodules
concatenate, `Literal`s unite) and at most one of them gives a default, an example, a
description or an `apply` — NixOS' rule. Nested declarations under an option whose type
holds submodules extend those submodules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydeclos.modsys.annotations import as_type
from pydeclos.modsys.compound_types import Anything
from pydeclos.modsys.errors import DeclarationError
from pydeclos.modsys.locations import Site
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.type_base import Type


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


class Option:
    """One declaration, as written: what `option(...)` returns."""

    __slots__ = ("type", "default", "description", "example", "read_only", "internal",
                 "apply", "visible", "file", "line", "alias_of", "removed")

    def __init__(self, type_: Type, default: Any, description: str, example: Any,
                 read_only: bool, internal: bool, apply: Callable[[Any], Any] | None,
                 visible: bool, file: str, line: int) -> None:
        self.type = type_
        self.default = default
        self.description = description
        self.example = example
        self.read_only = read_only
        self.internal = internal
        self.apply = apply
        self.visible = visible
        self.file = file  # where `option(...)` was called
        self.line = line
        self.alias_of: tuple[str, ...] | None = None  # set by mk_renamed/alias_option
        self.removed: str | None = None  # set by mk_removed_option

    @property
    def site(self) -> Site:
        return Site(self.file, self.line)

    @site.setter
    def site(self, site: Site) -> None:
        self.file, self.line = site.file, site.line

    def __repr__(self) -> str:
        return f"option({self.type!r}) at {self.site}"


def option(
    type: Any = None,  # noqa: A002 - the public spelling is `option(type, ...)`
    *,
    default: Any = UNSET,
    description: str = "",
    example: Any = UNSET,
    read_only: bool = False,
    internal: bool = False,
    apply: Callable[[Any], Any] | None = None,
    visible: bool = True,
) -> Option:
    """Declare an option: its type (an annotation or a pydeclos type), default, docs.

    `read_only`: exactly one definition, and the default counts as one.
    `apply`: a function of the merged value giving the value modules read.
    `internal`: hidden from the documentation.
    """
    frame = sys._getframe(1)
    return Option(
        Anything() if type is None else type if isinstance(type, Type) else as_type(type),
        default, description, example, read_only, internal, apply, visible,
        frame.f_code.co_filename, frame.f_lineno,
    )


class DeclaredOption:
    """An option in the tree: its path, its combined type and the declarations behind it."""

    __slots__ = ("path", "type", "specs", "default", "description", "example", "apply",
                 "read_only", "internal", "visible", "hidden", "alias_of", "removed",
                 "_default_value")

    def __init__(self, path: tuple[str, ...], spec: Option) -> None:
        self.path = path
        self.type = spec.type
        self.specs = [spec]
        self.default = spec.default
        self.description = spec.description
        self.example = spec.example
        self.apply = spec.apply
        self.read_only = spec.read_only
        self.internal = spec.internal
        self.visible = spec.visible
        # rename helpers: reads give another option's value, or fail with advice; either
        # way the option is left out of the evaluated configuration
        self.alias_of: tuple[str, ...] | None = spec.alias_of
        self.removed: str | None = spec.removed
        self.hidden = spec.alias_of is not None or spec.removed is not None
        self._default_value: Any = UNSET

    @property
    def sites(self) -> list[Site]:
        return [spec.site for spec in self.specs]

    @property
    def has_default(self) -> bool:
        return self.default is not UNSET

    def locate(self, keys: tuple[str, ...]) -> Site:
        """Where the default was written (the source of the default's definition)."""
        for spec in reversed(self.specs):
            if spec.default is not UNSET:
                return spec.site
        return self.specs[0].site

    def redeclare(self, spec: Option) -> None:
        for field in ("default", "example", "apply"):
            if getattr(spec, field) not in (UNSET, None) and getattr(self, field) not in (
                UNSET, None
            ):
                raise self._already_declared(spec, f"both give a `{field}`")
        if spec.description and self.description:
            raise self._already_declared(spec, "both give a `description`")
        combined = self.type.combine(spec.type)
        if combined is None:
            raise self._already_declared(
                spec, f"the types `{self.type.description}` and `{spec.type.description}` "
                "do not combine")
        self.type = combined
        self.specs.append(spec)
        if spec.default is not UNSET:
            self.default = spec.default
        if spec.example is not UNSET:
            self.example = spec.example
        self.description = self.description or spec.description
        self.apply = self.apply or spec.apply
        self.read_only = self.read_only or spec.read_only
        self.internal = self.internal or spec.internal
        self.visible = self.visible and spec.visible

    def _already_declared(self, spec: Option, why: str) -> DeclarationError:
        error = DeclarationError(
            f"The option `{show_path(self.path)}` in `{spec.site}` is already declared in "
            f"{', '.join(f'`{s}`' for s in self.sites)} ({why}).\n"
            "Declare it once, or leave the default, example, description and apply to one of "
            "the declarations."
        )
        error.relative_path = self.path
        return error

    def extend(self, options: Mapping[str, Any], site: Site | None) -> None:
        extended = self.type.with_options(options, site)
        if extended is None:
            where = _first_site(options) or site
            nested = "\n".join(
                f"- option(s) with prefix `{show_path((*self.path, *k.split('.')))}`"
                + (f" in module `{where}`" if where else "") for k in options)
            error = DeclarationError(
                f"The option `{show_path(self.path)}` would be a parent of the following "
                f"options, but its type `{self.type.description}` does not support nested "
                f"options.\n- `{show_path(self.path)}` itself is declared in module "
                f"`{self.sites[0]}`\n{nested}\n"
                "Give it a `t.submodule({...})` type, or declare the nested options elsewhere."
            )
            error.relative_path = self.path
            raise error
        self.type = extended


class OptionSet:
    """A set of options (`services`, `services.nginx`): children by name."""

    __slots__ = ("path", "children")

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path
        self.children: dict[str, OptionSet | DeclaredOption] = {}

    def lookup(self, path: tuple[str, ...]) -> OptionSet | DeclaredOption | None:
        node: OptionSet | DeclaredOption | None = self
        for name in path:
            if not isinstance(node, OptionSet):
                return None
            node = node.children.get(name)
        return node

    def find_option(
        self, path: tuple[str, ...]
    ) -> tuple[DeclaredOption, tuple[str, ...]] | None:
        """The option at `path` or holding it in its value (`services.foos.legacy.bar` is
        inside `services.foos`), and the rest of the path inside that value."""
        node: OptionSet | DeclaredOption = self
        for position, name in enumerate(path):
            if isinstance(node, DeclaredOption):
                return node, path[position:]
            child = node.children.get(name)
            if child is None:
                return None
            node = child
        return (node, ()) if isinstance(node, DeclaredOption) else None

    def options(self) -> Iterator[DeclaredOption]:
        """Every declared option below this set, in declaration order."""
        for child in self.children.values():
            if isinstance(child, OptionSet):
                yield from child.options()
            else:
                yield child

    def names(self, prefix: tuple[str, ...] = ()) -> list[str]:
        """Every option path below, sets included, shown after `prefix` (the candidates
        of "did you mean", which must be spelt like the misspelt path)."""
        out: list[str] = []
        for name, child in self.children.items():
            path = (*prefix, name)
            out.append(show_path(path))
            if isinstance(child, OptionSet):
                out.extend(child.names(path))
        return out

    def declare(self, options: Mapping[str, Any], site_hint: Site | None = None) -> None:
        """Add a module's `options` dict (dotted keys split into nested sets)."""
        if not isinstance(options, Mapping):
            raise DeclarationError(
                f"`options` must be a dict of option(...) declarations, not "
                f"{type(options).__name__}" + (f" (in `{site_hint}`)" if site_hint else "")
            )
        for key, value in options.items():
            if not isinstance(key, str) or not key:
                raise DeclarationError(
                    f"Option names must be non-empty strings, got {key!r} under "
                    f"`{show_path(self.path) or '(top level)'}`"
                    + (f" (in `{site_hint}`)" if site_hint else "")
                )
            if "." not in key:
                self._declare_one(key, value, site_hint)
                continue
            parts = key.split(".")
            node = self._set_at(parts[:-1])
            if isinstance(node, DeclaredOption):
                rest = key.split(".", len(node.path) - len(self.path))[-1]
                node.extend({rest: value}, site_hint)
                continue
            node._declare_one(parts[-1], value, site_hint)

    def _set_at(self, names: list[str]) -> OptionSet | DeclaredOption:
        """The option set at `names` below this one (created as needed), or the option met
        on the way there."""
        node = self
        for name in names:
            child = node._child_set(name)
            if isinstance(child, DeclaredOption):
                return child
            node = child
        return node

    def _child_set(self, name: str) -> OptionSet | DeclaredOption:
        child = self.children.get(name)
        if child is None:
            child = self.children[name] = OptionSet((*self.path, name))
        return child

    def _declare_one(self, name: str, value: Any, site_hint: Site | None) -> None:
        existing = self.children.get(name)
        path = (*self.path, name)
        if isinstance(value, Option):
            if existing is None:
                self.children[name] = DeclaredOption(path, value)
            elif isinstance(existing, DeclaredOption):
                existing.redeclare(value)
            else:
                # options were declared below this name first: they extend its submodule
                declared = DeclaredOption(path, value)
                for inner in existing.options():
                    relative = ".".join(inner.path[len(path):])
                    for spec in inner.specs:
                        declared.extend({relative: spec}, spec.site)
                self.children[name] = declared
        elif isinstance(value, Mapping):
            if isinstance(existing, DeclaredOption):
                existing.extend(value, site_hint)
                return
            if existing is None:
                existing = self.children[name] = OptionSet(path)
            existing.declare(value, site_hint)
        else:
            where = f"In module `{site_hint}`: " if site_hint else ""
            raise DeclarationError(
                f"{where}expected an option declaration at option path `{show_path(path)}` "
                f"but got {value!r}.\nDeclare it as `option({_type_hint(value)}, default=..., "
                "description=...)`, or nest a dict of declarations."
            )


def _first_site(options: Mapping[str, Any]) -> Site | None:
    """Where the first `option(...)` inside a declaration dict was written."""
    for value in options.values():
        if isinstance(value, Option):
            return value.site
        if isinstance(value, Mapping):
            found = _first_site(value)
            if found is not None:
                return found
    return None


def _type_hint(value: Any) -> str:
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, Type):
        return value.description
    return "type"

