"""`pydeclos graph`."""

from pydeclos.cli import not_implemented

graph_cmd = not_implemented("graph")
