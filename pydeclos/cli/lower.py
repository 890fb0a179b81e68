"""`pydeclos lower`."""

from pydeclos.cli import not_implemented

lower_cmd = not_implemented("lower")
