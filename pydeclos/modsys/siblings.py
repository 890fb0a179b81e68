"""Plain Python files next to a module file are importable from it (`from site_data import
ADMINS`): the way modules share data, where NixOS passes `specialArgs` / `_module.args`.

While a module file runs, its own directory, then the directories of the files that
imported it (up to system.py), come first on `sys.path`. What it imports from them is
taken out of `sys.modules` afterwards and kept for this evaluation only: the next module
file of the same evaluation gets the same objects, and the next evaluation (another
system, or the same one after an edit) reads the files again.
"""

from __future__ import annotations

import os
import sys
import types as python_types
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice


class SiblingImports:
    """The Python modules that one evaluation's module files imported from their folders."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], python_types.ModuleType] = {}  # (folder, name)
        self._folders: dict[str, tuple[str, ...]] = {}  # module file -> its folders

    def folders(self, path: str, importer_file: str | None) -> tuple[str, ...]:
        """The folders `path` imports from: its own, then its importer's."""
        own = os.path.dirname(os.path.abspath(path))
        inherited = self._folders.get(importer_file, ()) if importer_file else ()
        found = self._folders[path] = tuple(dict.fromkeys((own, *inherited)))
        return found

    @contextmanager
    def importable(self, folders: tuple[str, ...]) -> Iterator[None]:
        """While running a module file: `folders` on `sys.path`, the modules already
        imported from them in `sys.modules`; afterwards neither."""
        restored = []
        for folder in folders:
            for (where, name), module in self._kept.items():
                if where == folder and name not in sys.modules:
                    sys.modules[name] = module
                    restored.append(name)
        count = len(sys.modules)  # new entries come last: no scan of every module per file
        added = [folder for folder in folders if folder not in sys.path]
        sys.path[:0] = added
        try:
            yield
        finally:
            for folder in added:
                if folder in sys.path:
                    sys.path.remove(folder)
            new = list(islice(reversed(sys.modules), max(0, len(sys.modules) - count)))
            for name in [*restored, *new]:
                holder = _folder_of(sys.modules.get(name), folders)
                if holder is not None:
                    self._kept[(holder, name)] = sys.modules.pop(name)


def _folder_of(module: python_types.ModuleType | None,
               folders: tuple[str, ...]) -> str | None:
    """The first of `folders` that holds `module`'s file (or package), else None."""
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return None
    for folder in folders:
        if file.startswith(folder + os.sep):
            return folder
    return None
