"""Every standard module, in evaluation order (keep sorted within each group).

Every `system.py` imports these implicitly, as NixOS imports its module-list.nix.
A test checks that each file under modules/ is listed here.
"""

MODULES: list[str] = [
]
