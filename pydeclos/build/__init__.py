"""Building images: a build tree (from `pydeclos lower`) → mkosi → `OUT/<generation>/`.

`build_tree` builds any mkosi tree; `build_system` evaluates and lowers a system file
first. Both check the host before writing anything.
"""

from pydeclos.build.pipeline import BuildResult, build_tree

__all__ = ["BuildResult", "build_tree"]
