"""Conformance: a rename (or alias) whose target is an option inside a dict entry.

Derived from nixpkgs lib/tests/modules.sh:

    checkConfigOutput "^true$" config.result ./doRename-condition.nix ./doRename-condition-enable.nix

doRename-condition.nix migrates a single-instance `services.foo.bar` to a multi-instance
`services.foos.<name>.bar` (the usual way one instance becomes `instances.<name>`). NixOS
defines `to` with `setAttrByPath`, so the definition goes into the attrsOf option and
creates the entry; reading `from` gives `getAttrFromPath to config`.

DESIGN §2: `mk_renamed_option("a.b", "c.d.e")` takes dotted paths and forwards definitions
with their priority. Like `eval --option`, the target may go into an option's value, and an
entry name with dots is quoted (`services.foos."a.org".bar`).
"""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, mk_renamed_option, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev

FOOS = Module(options={"services": {
    "foo": {"enable": option(bool, default=False)},
    "foos": option(dict[str, t.submodule({"bar": option(str)})], default={}),
}})


def test_do_rename_into_a_dict_entry() -> None:
    """doRename-condition.nix (+ -enable.nix): `services.foo.bar` renamed to
    `services.foos."".bar` — the entry (here called `legacy`) then exists, and the old
    option reads the new value."""
    evaluation = ev(FOOS, mk_renamed_option("services.foo.bar", "services.foos.legacy.bar"),
                    Module(config={"services.foo.bar": "baz"}))
    assert evaluation.value("services.foos") == {"legacy": {"bar": "baz"}}
    assert evaluation.value("services.foo.bar") == "baz"
    assert len(evaluation.warnings) == 1


def test_do_rename_into_a_dict_entry_unused() -> None:
    """doRename-condition-no-enable.nix: without a definition of the old option, no entry
    is created, and reading the old option says which entry is missing."""
    evaluation = ev(FOOS, mk_renamed_option("services.foo.bar", "services.foos.legacy.bar"))
    assert evaluation.value("services.foos") == {}
    with pytest.raises(e.MissingValueError, match="`services.foos` has no `legacy`"):
        evaluation.value("services.foo.bar")


def test_forwarded_priority_applies_inside_the_entry() -> None:
    """The priority is forwarded onto the entry's option, not onto the whole dict option:
    an `mk_default` old definition loses to a plain definition of the same entry only, and
    other entries defined plainly do not drop it."""
    rename = mk_renamed_option("services.foo.bar", 'services.foos."a.org".bar')
    old = Module(config={"services.foo.bar": mk_default("old")})
    other = Module(config={"services.foos": {"other": {"bar": "x"}}})
    assert ev(FOOS, rename, old, other).value("services.foos") == {
        "a.org": {"bar": "old"}, "other": {"bar": "x"}}
    same = Module(config={"services.foos": {"a.org": {"bar": "new"}}})
    assert ev(FOOS, rename, old, same).value("services.foos") == {"a.org": {"bar": "new"}}
