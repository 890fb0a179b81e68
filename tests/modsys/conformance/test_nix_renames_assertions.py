"""Conformance, from nixpkgs lib/tests/modules.sh (doRename-*, alias-with-priority*) and
NixOS' assertions/warnings (nixos/modules/misc/assertions.nix), translated to
`mk_renamed_option`, `mk_alias_option`, `mk_removed_option` and the top-level `assertions` and
`warnings` options (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import (
    Module,
    mk_alias_option,
    mk_default,
    mk_force,
    mk_if,
    mk_removed_option,
    mk_renamed_option,
    option,
)
from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

from ._support import ev, value

Writer = Callable[[str, str], Path]

DECLARE_CDE = Module(options={"c": {"d": {"e": option(int)}}})


def test_do_rename_basic() -> None:
    """checkConfigOutput '^1234$' config.c.d.e ./doRename-basic.nix"""
    assert value("c.d.e", DECLARE_CDE, mk_renamed_option("a.b", "c.d.e"),
                 Module(config={"a": {"b": 1234}})) == 1234


def test_do_rename_warnings() -> None:
    """checkConfigOutput '^"The option `a\\.b. defined in `.*/doRename-warnings\\.nix. has been
    renamed to `c\\.d\\.e.\\."$' config.result ./doRename-warnings.nix"""
    evaluation = ev(DECLARE_CDE, mk_renamed_option("a.b", "c.d.e"),
                    Module(config={"a.b": 1234}))
    assert len(evaluation.warnings) == 1
    warning = evaluation.warnings[0]
    assert warning.startswith("The option `a.b` defined in `")
    assert "test_nix_renames_assertions.py:" in warning
    assert warning.endswith("has been renamed to `c.d.e`.")


def test_do_rename_unused_is_silent() -> None:
    """doRename: no definition of the old option, no warning."""
    evaluation = ev(DECLARE_CDE, mk_renamed_option("a.b", "c.d.e"), Module(config={"c.d.e": 1}))
    assert evaluation.warnings == []
    assert evaluation.value("c.d.e") == 1


def test_do_rename_under_false_mk_if_is_not_defined() -> None:
    """doRename uses `isDefined`: a definition under `mkIf false` does not count (no warning,
    nothing forwarded)."""
    evaluation = ev(Module(options={"c": {"d": {"e": option(int, default=5)}}}),
                    mk_renamed_option("a.b", "c.d.e"), Module(config={"a.b": mk_if(False, 1)}))
    assert evaluation.warnings == []
    assert evaluation.value("c.d.e") == 5


def test_renamed_option_reads_the_new_value() -> None:
    """mkRenamedOptionModule: reading the old path gives the new option's value."""
    seen = []
    ev(DECLARE_CDE, mk_renamed_option("a.b", "c.d.e"), Module(config={"c.d.e": 7}),
       Module(config=lambda cfg: seen.append(cfg.a.b) or {}))
    assert seen[-1] == 7


ENABLE_NULLABLE = Module(options={"enable": option(bool | None, default=None, example=True)})


def test_alias_with_priority() -> None:
    """checkConfigOutput '^true$' config.enable / config.enableAlias ./alias-with-priority.nix:
    `enableAlias = mkDefault false` loses to `enable = true`."""
    evaluation = ev(ENABLE_NULLABLE, mk_alias_option("enable_alias", "enable"),
                    Module(config={"enable_alias": mk_default(False)}),
                    Module(config={"enable": True}))
    assert evaluation.value("enable") is True
    assert evaluation.value("enable_alias") is True
    assert evaluation.warnings == []


def test_alias_with_priority_can_override() -> None:
    """checkConfigOutput '^false$' config.enable / config.enableAlias
    ./alias-with-priority-can-override.nix: `enableAlias = mkForce false` beats `enable = true`."""
    evaluation = ev(ENABLE_NULLABLE, mk_alias_option("enable_alias", "enable"),
                    Module(config={"enable_alias": mk_force(False)}),
                    Module(config={"enable": True}))
    assert evaluation.value("enable") is False
    assert evaluation.value("enable_alias") is False


def test_removed_option_module() -> None:
    """lib/modules.nix mkRemovedOptionModule: "The option definition `x.y' in `f' no longer
    has any effect; please remove it." plus the replacement instructions (an assertion)."""
    declare = Module(options={"new": option(int, default=1)})
    helper = mk_removed_option("old.flag", "Use `new` instead.")
    assert ev(declare, helper).to_data()["new"] == 1
    with pytest.raises(e.AssertionsFailedError) as raised:
        ev(declare, helper, Module(config={"old": {"flag": True}})).to_data()
    message = str(raised.value)
    assert "Failed assertions:" in message
    assert "The option definition `old.flag` in `" in message
    assert "no longer has any effect; please remove it.\nUse `new` instead." in message


def test_removed_option_read_fails() -> None:
    """lib/modules.nix mkRemovedOptionModule: reading the removed option throws "The option
    `x' can no longer be used since it's been removed"."""
    helper = mk_removed_option("old.flag", "Use `new` instead.")
    with pytest.raises(e.RemovedOptionError, match=r"The option `old.flag` can no longer be used "
                                                   r"since it's been removed\. Use `new` instead"):
        ev(helper, Module(options={"x": option(bool, default=False)}),
           Module(config=lambda cfg: {"x": bool(cfg.old.flag)}))


# -- assertions and warnings ----------------------------------------------------------------

def test_failed_assertions() -> None:
    """nixos/modules/misc/assertions.nix: "Failed assertions:\\n- <message>" for each false
    assertion, true ones are silent."""
    define = Module(config={"assertions": [
        {"assertion": False, "message": "first is wrong"},
        {"assertion": True, "message": "fine"},
        {"assertion": False, "message": "second is wrong"},
    ]})
    with pytest.raises(e.AssertionsFailedError) as raised:
        ev(define).to_data()
    message = str(raised.value)
    assert message.startswith("Failed assertions:\n- first is wrong")
    assert "- second is wrong" in message
    assert "fine" not in message


def test_assertions_from_config_functions() -> None:
    """assertions.nix: assertions usually read the configuration."""
    declare = Module(options={"port": option(int, default=80)})
    check = Module(config=lambda cfg: {"assertions": [
        {"assertion": cfg.port > 1024, "message": "port must be > 1024"}]})
    with pytest.raises(e.AssertionsFailedError, match="- port must be > 1024"):
        ev(declare, check).to_data()
    assert ev(declare, check, Module(config={"port": 8080})).to_data()["port"] == 8080


def test_failed_assertion_is_located_through_mk_merge(write: Writer) -> None:
    """DESIGN §2 "every error names ... the file:line of each definition": a false assertion
    written inside `mk_merge`/`mk_if` names the line of its part."""
    system = write("system.py", """
        from pydeclos import mk_if, mk_merge

        config = {"assertions": mk_merge([
            [{"assertion": True, "message": "fine"}],
            mk_if(True, [{"assertion": False, "message": "broken"}]),
        ])}
    """)
    with pytest.raises(e.AssertionsFailedError, match=r"- broken \(in `[^`]*system\.py:5`\)"):
        evaluate(system).to_data()


def test_assertions_are_not_checked_for_one_value() -> None:
    """DESIGN §2: assertions are checked when the whole configuration is evaluated, not by
    `eval --option` (Evaluation.value)."""
    declare = Module(options={"x": option(int, default=1)})
    define = Module(config={"assertions": [{"assertion": False, "message": "no"}]})
    assert ev(declare, define).value("x") == 1


def test_warnings_in_module_order() -> None:
    """assertions.nix `warnings`: a list of strings, concatenated (DESIGN: import order)."""
    evaluation = ev(Module(config={"warnings": ["one"]}),
                    Module(config=lambda cfg: {"warnings": mk_if(True, ["two"])}),
                    Module(config={"warnings": mk_if(False, ["never"])}))
    assert evaluation.warnings == ["one", "two"]


def test_empty_configuration_evaluates_cleanly() -> None:
    """DESIGN §2: `assertions` and `warnings` always exist; nothing else is mandatory."""
    evaluation = ev()
    assert evaluation.to_data() == {"assertions": [], "warnings": []}


def test_renamed_option_keeps_priority_and_warns() -> None:
    """mkRenamedOptionModule = doRename { withPriority = true; warn = true; }: a forwarded
    mkDefault loses to a plain definition of the new option, and the rename still warns."""
    evaluation = ev(DECLARE_CDE, mk_renamed_option("a.b", "c.d.e"),
                    Module(config={"a.b": mk_default(1)}), Module(config={"c.d.e": 2}))
    assert evaluation.value("c.d.e") == 2
    assert len(evaluation.warnings) == 1


def test_renamed_option_to_a_missing_option() -> None:
    """doRename forwards to `to`; if nothing declares `to`, defining the old name is an
    error about an option that does not exist."""
    with pytest.raises(e.UnknownOptionError, match=r"`x.y`"):
        ev(mk_renamed_option("a.b", "x.y"), Module(config={"a.b": 1})).to_data()


def test_removed_option_under_false_mk_if_is_not_defined() -> None:
    """mkRemovedOptionModule asserts `!opt.isDefined`: a definition under `mkIf false` does
    not trigger it."""
    helper = mk_removed_option("old.flag", "Use `new` instead.")
    evaluation = ev(Module(options={"new": option(int, default=1)}), helper,
                    Module(config={"old.flag": mk_if(False, True)}))
    assert evaluation.to_data()["new"] == 1
