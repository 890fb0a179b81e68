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
            tops = {*restored, *new}  # a submodule of a package loaded before stays
            for name in [*restored, *new]:
                if name.partition(".")[0] not in tops:
                    continue
                holder = _folder_of(name, sys.modules.get(name), folders)
                if holder is not None:
                    self._kept[(holder, name)] = sys.modules.pop(name)


def _folder_of(name: str, module: python_types.ModuleType | None,
               folders: tuple[str, ...]) -> str | None:
    """The first of `folders` that `module` was found in (its top-level name a file or a
    package there), else None: a module merely stored under a folder (the standard library
    below `/`, pydeclos below its checkout) is not one of the folder's own."""
    top = name.partition(".")[0]
    places = [getattr(module, "__file__", None), *getattr(module, "__path__", ())]
    for folder in folders:
        own = os.path.join(folder, top)
        for place in places:
            if isinstance(place, str) and (place == own + ".py" or place == own
                                           or place.startswith(own + os.sep)):
                return folder
    return None


def shadowed(error: BaseException, folders: tuple[str, ...]) -> str | None:
    """The hint for a data file or package named like a Python module already loaded
    (`site`, `secrets`): Python finds that one first."""
    if not isinstance(error, ImportError):
        return None
    name = (error.name or "").partition(".")[0]
    loaded = sys.modules.get(name)
    if not name or loaded is None:
        return None
    for folder in folders:
        own = os.path.join(folder, name)
        if os.path.exists(own + ".py") or os.path.isdir(own):
            return (f"`{name}` is also the name of a Python module (`{loaded.__name__}` from "
                    f"{getattr(loaded, '__file__', None) or 'Python itself'}), which Python "
                    f"finds first: rename `{os.path.relpath(own)}` to a name no Python module "
                    "has (`site_data`, say).")
    return None
