"""pydeclos: a whole Linux system declared in Python modules.

Module files import their vocabulary from here:
`from pydeclos import option, Module, mk_if, mk_default, mk_force, types as t`.
"""

from pydeclos.__about__ import __version__

__all__ = ["__version__"]
