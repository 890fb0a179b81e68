"""Where things were written: file:line of declarations, definitions and modules.

Declarations record the line of their `option(...)` call when they are created.
Definitions are located lazily (only when a message needs them): each one remembers the
source it came from and the chain of dict keys that led to it, and the file's dict literals
are indexed by key path to find the line of that key.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path


def display_path(file: str | os.PathLike[str]) -> str:
    """A file name as a user wants to read it: relative to the working directory if inside."""
    text = os.fspath(file)
    if text.startswith("<"):
        return text
    try:
        relative = os.path.relpath(text)
    except ValueError:
        return text
    return text if relative.startswith("..") else relative


def caller_site(depth: int = 2) -> tuple[str, int]:
    """The file and line of the code that called the caller of this function."""
    frame = sys._getframe(depth)
    return frame.f_code.co_filename, frame.f_lineno


@dataclass(frozen=True, slots=True)
class Site:
    """A fixed position: a declaration, a module, a function."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}"


class _KeyNode:
    """One level of the dict-literal key trie of a file."""

    __slots__ = ("line", "children")

    def __init__(self, line: int) -> None:
        self.line = line
        self.children: dict[str, _KeyNode] = {}


@dataclass
class SourceIndex:
    """The dict literals of one Python file, indexed by key path, to locate definitions."""

    file: str
    roots: list[tuple[int, int, _KeyNode]] = field(default_factory=list)
    functions: dict[int, int] = field(default_factory=dict)  # scopes: first line -> last line
    assignments: dict[str, ast.AST] = field(default_factory=dict)

    @classmethod
    def parse(cls, file: str) -> SourceIndex:
        index = cls(file)
        try:
            tree = ast.parse(Path(file).read_text(), file)
        except (OSError, SyntaxError, ValueError):
            return index
        consumed: set[int] = set()
        dicts = sorted(
            (node for node in ast.walk(tree) if isinstance(node, ast.Dict)),
            key=lambda node: (node.lineno, node.col_offset),
        )
        for node in dicts:
            if id(node) in consumed:
                continue
            root = _KeyNode(node.lineno)
            _index_dict(node, root, consumed)
            index.roots.append((node.lineno, node.end_lineno or node.lineno, root))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _calls_module(node):
                # a `Module(...)` literal: its definitions are inside these lines
                index.functions.setdefault(node.lineno, node.end_lineno or node.lineno)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                first = node.lineno
                if not isinstance(node, ast.Lambda) and node.decorator_list:
                    first = node.decorator_list[0].lineno
                index.functions[first] = node.end_lineno or node.lineno
                index.functions.setdefault(node.lineno, node.end_lineno or node.lineno)
            elif isinstance(node, ast.Assign) and node in tree.body:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        index.assignments[target.id] = node.value
        return index

    def line_of(self, keys: tuple[str, ...], scope: tuple[int, int] | None) -> int | None:
        """The line of the last key of `keys` in a dict literal (best effort): in the
        literals inside `scope` first, then anywhere in the file."""
        if not keys:
            return None
        everywhere = [root for _, _, root in self.roots]
        if scope is not None:
            inside = [root for first, _, root in self.roots if scope[0] <= first <= scope[1]]
            found = _search(keys, inside)
            if found is not None:
                return found
        return _search(keys, everywhere)

    def function_scope(self, first_line: int) -> tuple[int, int]:
        return (first_line, self.functions.get(first_line, first_line))

    def line_of_list_item(self, name: str, position: int) -> int | None:
        """The line of element `position` of a top-level `name = [...]` assignment."""
        value = self.assignments.get(name)
        if isinstance(value, ast.List | ast.Tuple) and 0 <= position < len(value.elts):
            return value.elts[position].lineno
        return value.lineno if value is not None else None


def _search(keys: tuple[str, ...], roots: list[_KeyNode]) -> int | None:
    """The whole key path from a literal's top if possible, else its longest tail, else the
    deepest partial match."""
    best_line, best_depth = None, 0
    for start in range(len(keys)):
        for root in roots:
            node, depth = root, 0
            for key in keys[start:]:
                child = node.children.get(key)
                if child is None:
                    break
                node, depth = child, depth + 1
            if depth == len(keys) - start:
                return node.line
            if depth > best_depth:
                best_line, best_depth = node.line, depth
        if best_line is not None:
            return best_line
    return None


def _calls_module(node: ast.Call) -> bool:
    function = node.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return name == "Module"


def _index_dict(node: ast.Dict, into: _KeyNode, consumed: set[int]) -> None:
    consumed.add(id(node))
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            child = into.children.get(key.value)
            if child is None:
                child = into.children[key.value] = _KeyNode(key.lineno)
            _index_value(value, child, consumed)
        elif key is None:  # {**other}: its keys belong to this level
            _index_value(value, into, consumed)


def _index_value(node: ast.AST, into: _KeyNode, consumed: set[int]) -> None:
    """Follow a dict value through wrappers (mk_if(...), lists, `a | b`, `x if c else y`)."""
    if isinstance(node, ast.Dict):
        _index_dict(node, into, consumed)
    elif isinstance(node, ast.Call):
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            _index_value(argument, into, consumed)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for element in node.elts:
            _index_value(element, into, consumed)
    elif isinstance(node, ast.IfExp):
        _index_value(node.body, into, consumed)
        _index_value(node.orelse, into, consumed)
    elif isinstance(node, ast.BinOp):
        _index_value(node.left, into, consumed)
        _index_value(node.right, into, consumed)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _index_value(value, into, consumed)
    elif isinstance(node, ast.Starred):
        _index_value(node.value, into, consumed)


class SourceCache:
    """Parsed files of one evaluation, so each file is parsed at most once."""

    def __init__(self) -> None:
        self._indexes: dict[str, SourceIndex] = {}

    def index(self, file: str) -> SourceIndex:
        found = self._indexes.get(file)
        if found is None:
            found = self._indexes[file] = SourceIndex.parse(file)
        return found


class Source:
    """Where a module's definitions come from: a file and a range of lines inside it.

    A definition is (source, keys); `locate(keys)` gives its file:line when needed.
    """

    __slots__ = ("file", "first_line", "cache", "_scope")

    def __init__(self, file: str, first_line: int, cache: SourceCache, scoped: bool) -> None:
        self.file = file
        self.first_line = first_line
        self.cache = cache
        self._scope: tuple[int, int] | None | bool = scoped

    def scope(self) -> tuple[int, int] | None:
        if self._scope is True:
            self._scope = self.cache.index(self.file).function_scope(self.first_line)
        elif self._scope is False:
            self._scope = None
        return self._scope  # type: ignore[return-value]

    def locate(self, keys: tuple[str, ...]) -> Site:
        line = None
        if keys and not self.file.startswith("<"):
            line = self.cache.index(self.file).line_of(keys, self.scope())
        return Site(self.file, line or self.first_line)
