"""modules/module_list.py lists exactly the module files, so none is silently left out."""

from __future__ import annotations

import ast

from pydeclos.library import library_dir, stdlib_modules

NOT_MODULES = {"module_list.py", "__init__.py"}


def test_every_module_file_is_listed() -> None:
    root = library_dir()
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.py")
               if p.name not in NOT_MODULES and "__pycache__" not in p.parts}
    listed = [p.relative_to(root).as_posix() for p in stdlib_modules()]
    assert sorted(on_disk - set(listed)) == [], "add these to modules/module_list.py"
    assert sorted(set(listed) - on_disk) == [], "listed but missing"
    assert len(listed) == len(set(listed)), "listed twice"


def test_groups_are_kept_sorted() -> None:
    source = (library_dir() / "module_list.py").read_text()
    group: list[str] | None = None
    for line in source.splitlines():
        if "keep-sorted start" in line:
            group = []
        elif "keep-sorted end" in line:
            assert group == sorted(group or []), group
            group = None
        elif group is not None and line.strip().startswith('"'):
            group.append(ast.literal_eval(line.strip().rstrip(",")))
