"""The one pipeline: a system file -> its evaluation -> its build tree.

Every verb (`eval`, `options`, `graph`, `lower`, `build`, `vm`, later `switch`) goes through
these functions, so that they all see the same module library, the same
`disabled_modules` resolution and the same generation number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydeclos.errors import PydeclosError
from pydeclos.modsys import Evaluation, Module, evaluate, mk_override

if TYPE_CHECKING:
    from pydeclos.lower.errors import LoweringError

# Above mk_force (50): `--version N` wins over any image.version in the system file.
VERSION_PRIORITY = 10


def system_file(path: Path) -> Path:
    """`path` itself, or `path/system.py` when `path` is a directory holding one."""
    if path.is_dir():
        if not (path / "system.py").is_file():
            raise PydeclosError(f"{path} is a directory without a system.py; "
                                "give the system file itself")
        return path / "system.py"
    return path


def evaluate_system(path: Path | None, *, version: int | None = None,
                    run: bool = True) -> Evaluation:
    """Evaluate `path` (or only the library, for None) after the standard modules.

    `disabled_modules` entries resolve against the library's directory; `version`
    overrides `image.version` (as `pydeclos build --version` does). An unknown option
    spelt as in NixOS is told its name here (pydeclos/nixos_names.py)."""
    from pydeclos.library import library_dir, stdlib_modules
    from pydeclos.nixos_names import other_spelling

    try:
        prelude: list[Any] = list(stdlib_modules())
        modules_path: Path | None = library_dir()
    except FileNotFoundError:  # an installation without the standard library
        prelude, modules_path = [], None
    if version is not None:
        prelude.append(Module(config={"image": {"version": mk_override(VERSION_PRIORITY, version)}},
                              key="pydeclos --version"))
    root = system_file(path) if path is not None else None
    return evaluate(root, prelude=prelude, modules_path=modules_path, run=run,
                    other_spellings=other_spelling)


def system_config(path: Path, *, version: int | None = None) -> tuple[dict[str, Any], list[str]]:
    """The evaluated configuration as plain data (assertions checked) and its warnings."""
    evaluation = evaluate_system(path, version=version)
    config = evaluation.to_data()
    return config, evaluation.warnings


def lower_system(config: dict[str, Any], evaluation: Evaluation | None = None) -> Any:
    """The build tree (a `FileTree`) of an evaluated configuration.

    Given the evaluation it came from, an error found while lowering (a host file that
    cannot be read) names the user's line, for `lower` and `build` alike."""
    from pydeclos.lower import lower
    from pydeclos.lower.errors import LoweringError

    try:
        return lower(config)
    except LoweringError as error:
        if evaluation is None:
            raise
        raise located(error, evaluation) from None


def located(error: LoweringError, evaluation: Evaluation) -> PydeclosError:
    """A lowering error with the place the user wrote its value (`system.py:N`): the option
    itself, else the nearest enclosing one that has a definition (`x.extra_groups[0]` is
    found through `x.extra_groups`, `environment.etc.motd.source` through the entry)."""
    from pydeclos.modsys.assertions import where_defined

    text = re.sub(r"\[\d+\]$", "", error.option)
    while True:
        found = where_defined(text, evaluation.evaluator)
        if " is defined in " in found or "." not in text:
            return PydeclosError(f"{error}\n  {found}")
        text = re.sub(r"\[\d+\]$", "", text.rsplit(".", 1)[0])
