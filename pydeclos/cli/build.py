"""`pydeclos build`."""

from pydeclos.cli import not_implemented

build_cmd = not_implemented("build")
