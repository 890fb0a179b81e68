"""PENDING — a rename (or alias) whose target is an option inside a dict entry.

Derived from nixpkgs lib/tests/modules.sh:

    checkConfigOutput "^true$" config.result ./doRename-condition.nix ./doRename-condition-enable.nix

doRename-condition.nix migrates a single-instance `services.foo.bar` to a multi-instance
`services.foos.<name>.bar`, with `to = [ "services" "foos" "" "bar" ]`. This is the usual
migration path in nixpkgs (one instance becoming `instances.<name>`).

NixOS: `doRename` defines `to` with `setAttrByPath`, so the definition goes into the attrsOf
option, which creates the entry. Reading `from` gives `getAttrFromPath to config`.

pydeclos now: the rename helper looks `to` up in the option tree only. It raises
UnknownOptionError "The option `services.foo.bar` is renamed to `services.foos.legacy.bar`
(in `…`), but `services.foos.legacy.bar` does not exist. Fix the target of the rename."
(The unused rename is fine: test_nix_more.py::test_do_rename_into_a_dict_entry_unused.)

DESIGN §2: "`mk_renamed_option("a.b", "c.d.e")` … take dotted paths … forwards definitions
with their priority and warns". The contract does not say whether `to` may go into an
option's value. `eval --option` paths may (`users.users.alice.home`), which suggests yes.
It also does not say how to spell an entry name that contains dots
(`hosts."a.org".port`, as `split_path` accepts for `eval --option`).
"""

from __future__ import annotations

from pydeclos import Module, mk_renamed_option, option
from pydeclos import types as t

from .._support import ev

FOOS = Module(options={"services": {
    "foo": {"enable": option(bool, default=False)},
    "foos": option(dict[str, t.submodule({"bar": option(str)})], default={}),
}})


def test_do_rename_into_a_dict_entry() -> None:
    """doRename-condition.nix (+ -enable.nix): `services.foo.bar` renamed to
    `services.foos."".bar` — a rename may target an option inside an attrsOf-submodule
    entry, which then exists (here the entry is called `legacy`)."""
    evaluation = ev(FOOS, mk_renamed_option("services.foo.bar", "services.foos.legacy.bar"),
                    Module(config={"services.foo.bar": "baz"}))
    assert evaluation.value("services.foos") == {"legacy": {"bar": "baz"}}
    assert len(evaluation.warnings) == 1
