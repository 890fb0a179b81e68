"""`pydeclos eval`."""

from pydeclos.cli import not_implemented

eval_cmd = not_implemented("eval")
