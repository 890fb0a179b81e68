"""`pydeclos vm`."""

from pydeclos.cli import not_implemented

vm_cmd = not_implemented("vm")
