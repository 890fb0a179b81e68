"""The module system: a general-purpose, NixOS-style module system for Python files.

Nothing here knows about Linux. `evaluate(root, prelude=...)` loads the modules, collects
their declarations and definitions, runs the fixpoint and returns an `Evaluation`.

The files form layers; each imports only from the layers before it (checked by
tests/modsys/test_layers.py):

1. paths, errors, suggest, properties, locations, values, siblings: option paths, error
   classes, priorities as data, file:line, read-only values, module files' data imports;
2. definitions: one option's definitions, filtered and merged;
3. type_base, scalar_types, constrained_types, compound_types, annotations: the types;
4. options, modules, collect, option_value, view, diagnostics: declarations, module
   files, definitions collected from configs, one option's value, `cfg`, error reports;
5. fixpoint: the evaluator;
6. submodules (the one recursion: a submodule value is a nested evaluation), types (`t.*`);
7. builtin, assertions, renames, docs, graph, evaluation: `evaluate()` and its result.
"""

from pydeclos.modsys import errors
from pydeclos.modsys.evaluation import Evaluation, evaluate
from pydeclos.modsys.modules import Module
from pydeclos.modsys.options import option
from pydeclos.modsys.paths import split_path
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
