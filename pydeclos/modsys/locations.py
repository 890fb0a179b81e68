"""Where things were written: file:line of declarations, definitions and modules.

Declarations record the line of their `option(...)` call when they are created.
Definitions are located lazily (only when a message needs them): each one remembers the
source it came from and the chain of dict keys that led to it, and the file's dict literals
are indexed by key path to find the line of that key. The parts of an `mk_merge([...])`
are told apart by a `merge_part(i)` key in that chain, so each part is located at its own
line even when the parts set the same option.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


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


_PART = "\0mk_merge part "  # no dict key of a configuration starts with NUL


def merge_part(position: int) -> str:
    """The key-chain element for part `position` of an `mk_merge([...])`."""
    return f"{_PART}{position}"


@dataclass(frozen=True, slots=True)
class Site:
    """A fixed position: a declaration, a module, a function."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}"


class Locatable(Protocol):
    """What a definition remembers of where it was written (a `Source`, or a fixed site)."""

    def locate(self, keys: tuple[str, ...]) -> Site: ...


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
    assignments: dict[str, ast.expr] = field(default_factory=dict)

    @classmethod
    def parse(cls, file: str) -> SourceIndex:
        index = cls(file)
        try:
            tree = ast.parse(Path(file).read_text(), file)
        except (OSError, SyntaxError, ValueError):
            return index
        consumed: set[int] = set()
        literals = sorted(
            (node for node in ast.walk(tree)
             if isinstance(node, ast.Dict) or isinstance(node, ast.Call) and _merge_parts(node)),
            key=lambda node: (node.lineno, node.col_offset),
        )
        for literal in literals:
            if id(literal) in consumed:
                continue
            root = _KeyNode(literal.lineno)
            _index_value(literal, root, consumed)
            index.roots.append((literal.lineno, literal.end_lineno or literal.lineno, root))
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
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        index.assignments[target.id] = statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None \
                    and isinstance(statement.target, ast.Name):
                index.assignments[statement.target.id] = statement.value
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

    def assignment_scope(self, name: str) -> tuple[int, int] | None:
        """The lines of the value of a top-level `name = ...` (None if there is none)."""
        value = self.assignments.get(name)
        if value is None:
            return None
        return (value.lineno, value.end_lineno or value.lineno)

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
                child = _step(node, key)
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


def _step(node: _KeyNode, key: str) -> _KeyNode | None:
    """The node of `key` below `node`. `mk_merge` parts are optional on either side: a part
    the literal does not show (a merge built from variables) is stepped over, and a key
    written inside a part of a literal `mk_merge` is found there."""
    child = node.children.get(key)
    if child is not None:
        return child
    if key.startswith(_PART):
        return node
    for name, part in node.children.items():
        if name.startswith(_PART) and key in part.children:
            return part.children[key]
    return None


def _called_name(node: ast.Call) -> str | None:
    function = node.func
    return function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)


def _calls_module(node: ast.Call) -> bool:
    return _called_name(node) == "Module"


def _merge_parts(node: ast.Call) -> list[ast.expr] | None:
    """The parts of a literal `mk_merge([...])` call, or None for any other call."""
    if _called_name(node) != "mk_merge" or len(node.args) != 1:
        return None
    parts = node.args[0]
    return parts.elts if isinstance(parts, ast.List | ast.Tuple) else None


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
        parts = _merge_parts(node)
        if parts is not None:
            consumed.add(id(node))
            for position, part in enumerate(parts):
                key = merge_part(position)
                child = into.children.get(key)
                if child is None:
                    child = into.children[key] = _KeyNode(part.lineno)
                _index_value(part, child, consumed)
            return
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
    """Where a module's definitions come from: a file and a range of lines inside it — a
    config function or a `Module(...)` call starting at `first_line`, or the value of a
    top-level `assigned = ...` of a module file (`config = {...}`).

    A definition is (source, keys); `locate(keys)` gives its file:line when needed.
    """

    __slots__ = ("file", "first_line", "cache", "assigned", "_scope", "_resolved")

    def __init__(self, file: str, first_line: int, cache: SourceCache,
                 assigned: str | None = None) -> None:
        self.file = file
        self.first_line = first_line
        self.cache = cache
        self.assigned = assigned
        self._scope: tuple[int, int] | None = None
        self._resolved = False

    def scope(self) -> tuple[int, int] | None:
        if not self._resolved:
            index = self.cache.index(self.file)
            self._scope = index.assignment_scope(self.assigned) if self.assigned \
                else index.function_scope(self.first_line)
            self._resolved = True
        return self._scope

    def locate(self, keys: tuple[str, ...]) -> Site:
        if self.file.startswith("<"):
            return Site(self.file, self.first_line)
        scope = self.scope()
        line = self.cache.index(self.file).line_of(keys, scope) if keys else None
        return Site(self.file, line or (scope[0] if scope and self.assigned else self.first_line))
