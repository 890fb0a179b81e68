"""`pydeclos options`."""

from pydeclos.cli import not_implemented

options_cmd = not_implemented("options")
