"""pydeclos on the machine: the image carries the pydeclos that built it, plus health checks.

`pydeclos switch`, `rollback`, `generations` and `status` run on the machine itself, so by
default the image ships the building pydeclos (its source under /usr/lib/pydeclos, the
`pydeclos` command in /usr/bin) and the Debian packages it imports. The source is added by
`pydeclos build`, so an image always holds exactly the pydeclos version that built it.
"""

from pydeclos import option

# What pydeclos imports, as trixie packages (see pyproject.toml's dependencies).
RUNTIME_PACKAGES = ["python3", "python3-click", "python3-networkx", "python3-typeguard"]

options = {"pydeclos": {
    "on_machine": option(bool, default=True, description=(
        "Ship the pydeclos that builds the image inside it (source in /usr/lib/pydeclos, "
        "`pydeclos` in /usr/bin, runnable by root) with python3 and the packages it needs, "
        "so `pydeclos switch`, `rollback`, `generations` and `status` work on the machine. "
        "Costs about 60 MB of /usr, most of it python3.")),
}}


def config(cfg):
    if not cfg.pydeclos.on_machine:
        return {}
    return {"packages": RUNTIME_PACKAGES}
