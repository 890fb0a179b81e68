"""The two top-level options every configuration has: `assertions` and `warnings`.

They are checked whenever the whole configuration is evaluated (`Evaluation.to_data`),
not when one value is asked for.
"""

from __future__ import annotations

from pydeclos.modsys.compound_types import ListOf
from pydeclos.modsys.modules import Module
from pydeclos.modsys.options import option
from pydeclos.modsys.types import submodule

BUILTIN_KEY = "pydeclos:builtin"


def builtin_module() -> Module:
    """The module declaring `assertions` and `warnings` (imported before everything else)."""
    assertion = submodule({
        "assertion": option(bool, description="Must be True; False fails the evaluation."),
        "message": option(str, description="What is wrong, and how to fix it."),
        "options": option(
            list[str], default=[], example=["services.web.port", "services.db.port"],
            description=(
                "The options the condition concerns, as dotted paths (paths into dict "
                "options allowed); a failure lists where each of them was defined.")),
    })
    return Module(
        key=BUILTIN_KEY,
        name="pydeclos (assertions and warnings)",
        options={
            "assertions": option(
                ListOf(assertion), default=[], example=[
                    {"assertion": False, "message": "networking.hostname must not be empty"}],
                description=(
                    "Conditions the configuration must satisfy. Each entry is a dict with "
                    "`assertion` (a bool), `message` and optionally `options` (the option "
                    "paths it concerns); every false one is reported, with where those "
                    "options were defined, and the evaluation fails."),
            ),
            "warnings": option(
                list[str], default=[], example=["services.foo.bar is deprecated"],
                description="Messages printed (to stderr) when the configuration is evaluated.",
            ),
        },
    )
