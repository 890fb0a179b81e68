"""Scalar option types: one value, merged by equality (or joined, or taken once)."""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from pydeclos.modsys.definitions import Definition, merge_equal, merge_unique
from pydeclos.modsys.type_base import Type


class Bool(Type):
    description = "bool"
    passthrough = True

    def check(self, value: Any) -> bool:
        return type(value) is bool


class Int(Type):
    description = "int"
    passthrough = True

    def check(self, value: Any) -> bool:
        return isinstance(value, int) and type(value) is not bool


class Float(Type):
    description = "float"
    passthrough = True

    def check(self, value: Any) -> bool:
        return isinstance(value, int | float) and type(value) is not bool


class Str(Type):
    description = "str"
    passthrough = True

    def check(self, value: Any) -> bool:
        return isinstance(value, str)


class PortType(Int):
    """A TCP/UDP port number."""

    description = "port (0–65535)"

    def check(self, value: Any) -> bool:
        return isinstance(value, int) and type(value) is not bool and 0 <= value <= 65535

    def explain(self, value: Any) -> str:
        if isinstance(value, int) and type(value) is not bool:
            return f"{value} is outside 0–65535"
        return ""


class PathType(Type):
    """An absolute path, normalised (`//` and `/./` collapse, no trailing `/`), no `..`."""

    description = "absolute path"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, str) and value.startswith("/")
            and ".." not in value.split("/") and "\0" not in value
        )

    def explain(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        if not value.startswith("/"):
            return f"{json.dumps(value)} is relative; write it from the root, e.g. \"/{value}\""
        if ".." in value.split("/"):
            return f"{json.dumps(value)} contains `..`; write the path it means without it"
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        normal = [d.with_value(normalise_path(d.value)) for d in defs]
        return merge_equal(path, normal)


def normalise_path(value: str) -> str:
    normal = posixpath.normpath(value)
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


class Lines(Type):
    """Text whose definitions are joined with newlines (in order priority, module order)."""

    description = "lines"

    def check(self, value: Any) -> bool:
        return isinstance(value, str)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        return "\n".join(d.value for d in defs)


_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[^\s=]+)?$")


class Package(Type):
    """A distribution package name (`htop`, `libc6:amd64`, `nginx=1.22.1-9`); one definition."""

    description = "package"

    def check(self, value: Any) -> bool:
        return isinstance(value, str) and bool(_PACKAGE_NAME.fullmatch(value))

    def explain(self, value: Any) -> str:
        if isinstance(value, str):
            return f"{json.dumps(value)} is not a package name (lowercase letters, digits, + - .)"
        return ""

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        return merge_unique(path, defs)


class Enum(Type):
    """One of a fixed set of values (`Literal["a", "b"]`)."""

    passthrough = True

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.description = "Literal[" + ", ".join(repr(v) for v in values) + "]"

    def check(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def combine(self, other: Type) -> Type | None:
        if isinstance(other, Enum):
            return Enum(tuple(dict.fromkeys(self.values + other.values)))
        return None


class Unique(Type):
    """Exactly one definition (after priority filtering), of the inner type."""

    def __init__(self, inner: Type, message: str | None) -> None:
        self.inner = inner
        self.has_submodule = inner.has_submodule
        self.message = message or ""
        self.description = inner.description

    def check(self, value: Any) -> bool:
        return self.inner.check(value)

    def explain(self, value: Any) -> str:
        return self.inner.explain(value)

    def empty_value(self, path: tuple[str, ...]) -> Any:
        return self.inner.empty_value(path)

    def merge(self, path: tuple[str, ...], defs: list[Definition]) -> Any:
        merge_unique(path, defs, self.message)
        return self.inner.merge(path, defs)

    def sub_options(self) -> tuple[Any, str] | None:
        return self.inner.sub_options()


class TypeguardLeaf(Type):
    """An annotation pydeclos has no merge rule for: checked by typeguard, merged by equality."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation
        self.description = annotation_name(annotation)

    def check(self, value: Any) -> bool:
        return self.explain(value) == ""

    def explain(self, value: Any) -> str:
        from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

        try:
            check_type(value, self.annotation,
                       collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
        except TypeCheckError as error:
            return str(error)
        return ""


def annotation_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")
