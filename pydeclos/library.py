"""Where the standard module library is: inside the wheel, or beside the source tree."""

from __future__ import annotations

import ast
from pathlib import Path


def library_dir() -> Path:
    """The directory holding the standard modules (top-level `modules/` in the source tree)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_stdlib", here.parent / "modules"):
        if (candidate / "module_list.py").is_file():
            return candidate
    raise FileNotFoundError(f"pydeclos' standard module library is missing (looked beside {here})")


def stdlib_modules() -> list[Path]:
    """The standard module files, in the order `modules/module_list.py` lists them.

    The list is read as a literal (not imported) so that looking it up runs no code.
    """
    root = library_dir()
    tree = ast.parse((root / "module_list.py").read_text())
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        value = getattr(node, "value", None)
        if value is not None and any(isinstance(t, ast.Name) and t.id == "MODULES" for t in targets):
            return [root / name for name in ast.literal_eval(value)]
    raise ValueError(f"{root / 'module_list.py'} has no MODULES list")
