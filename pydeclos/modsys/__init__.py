"""The module system: a general-purpose, NixOS-style module system for Python files.

Nothing here knows about Linux. `evaluate(root, prelude=...)` loads the modules, collects
their declarations and definitions, runs the fixpoint and returns an `Evaluation`.
"""

from pydeclos.modsys import errors
from pydeclos.modsys.errors import split_path
from pydeclos.modsys.evaluation import Evaluation, evaluate
from pydeclos.modsys.modules import Module
from pydeclos.modsys.options import option
from pydeclos.modsys.properties import (
    mk_after,
    mk_before,
    mk_default,
    mk_force,
    mk_if,
    mk_merge,
    mk_order,
    mk_override,
)
from pydeclos.modsys.renames import mk_alias_option, mk_removed_option, mk_renamed_option

__all__ = [
    "Evaluation", "Module", "errors", "evaluate", "option", "split_path",
    "mk_after", "mk_before", "mk_default", "mk_force", "mk_if", "mk_merge", "mk_order",
    "mk_override", "mk_alias_option", "mk_removed_option", "mk_renamed_option",
]
