"""Shared helpers of the conformance suite (derived from nixpkgs' lib/tests/modules.sh).

Each test names the nixpkgs case it comes from: the fixture file(s) of `modules.sh`, and the
attribute it evaluates. Modules are written as `Module(...)` objects in the test (so their
locations are this test file) or as small files in `tmp_path` when file paths matter.
"""

from __future__ import annotations

from typing import Any

from pydeclos import Module
from pydeclos.modsys import Evaluation, evaluate


def ev(*modules: Any) -> Evaluation:
    """Evaluate the modules as the imports of one root, in this order (no standard library)."""
    return evaluate(Module(imports=list(modules)), prelude=())


def value(path: str, *modules: Any) -> Any:
    """`config.<path>` of the modules, as plain data."""
    return ev(*modules).value(path)
