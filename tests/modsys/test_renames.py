"""mk_renamed_option, mk_alias_option, mk_removed_option."""

from __future__ import annotations

import pytest

from pydeclos import (
    Module,
    mk_alias_option,
    mk_default,
    mk_force,
    mk_removed_option,
    mk_renamed_option,
    option,
)
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import AssertionsFailedError, RemovedOptionError

DECLARE = Module(options={"new": {"port": option(int, default=1)},
                          "names": option(list[str], default=[])})


def evaluation(*configs: object, helpers: tuple = ()) -> object:
    modules = [DECLARE, *helpers, *(Module(config=c) for c in configs)]
    return evaluate(Module(imports=modules))


def test_renamed_option_forwards_and_warns() -> None:
    result = evaluation({"old": {"port": 2}},
                        helpers=(mk_renamed_option("old.port", "new.port"),))
    assert result.value("new.port") == 2
    assert len(result.warnings) == 1
    assert "The option `old.port` defined in `tests/modsys/test_renames.py:" in result.warnings[0]
    assert "has been renamed to `new.port`" in result.warnings[0]
    assert "old" not in result.to_data()


def test_forwarded_definitions_keep_their_priority() -> None:
    result = evaluation({"old.port": mk_default(2)}, {"new.port": 3},
                        helpers=(mk_alias_option("old.port", "new.port"),))
    assert result.value("new.port") == 3
    result = evaluation({"old.port": mk_force(2)}, {"new.port": 3},
                        helpers=(mk_alias_option("old.port", "new.port"),))
    assert result.value("new.port") == 2


def test_alias_does_not_warn_and_reads_the_target() -> None:
    seen = []
    result = evaluation({"new.port": 5}, lambda cfg: seen.append(cfg.old.port) or {},
                        helpers=(mk_alias_option("old.port", "new.port"),))
    assert result.warnings == []
    assert result.value("old.port") == 5
    assert seen[-1] == 5


def test_unused_rename_is_silent() -> None:
    assert evaluation(helpers=(mk_renamed_option("old.port", "new.port"),)).warnings == []


def test_renamed_lists_concatenate_with_the_new_definitions() -> None:
    result = evaluation({"old_names": ["a"]}, {"names": ["b"]},
                        helpers=(mk_renamed_option("old_names", "names"),))
    assert sorted(result.value("names")) == ["a", "b"]


def test_removed_option_fails_an_assertion_when_set() -> None:
    helper = mk_removed_option("legacy.flag", "Use `new.port` instead.")
    assert evaluation(helpers=(helper,)).to_data()["new"] == {"port": 1}
    with pytest.raises(AssertionsFailedError, match=r"(?s)`legacy.flag` in `tests/modsys/"
                                                    r"test_renames.py:\d+` no longer has any "
                                                    r"effect; please remove it.\nUse `new.port`"):
        evaluation({"legacy": {"flag": True}}, helpers=(helper,)).to_data()


def test_reading_a_removed_option_fails() -> None:
    helper = mk_removed_option("legacy.flag", "Use `new.port` instead.")
    with pytest.raises(RemovedOptionError, match="can no longer be used"):
        evaluation(lambda cfg: {"names": [str(cfg.legacy.flag)]}, helpers=(helper,))


def test_alias_reads_follow_later_changes_of_the_target() -> None:
    seen = []

    def reader(cfg):
        seen.append(cfg.old.port)
        return {}

    result = evaluation(reader, lambda cfg: {"new.port": 7},
                        helpers=(mk_alias_option("old.port", "new.port"),))
    assert result.value("old.port") == 7
    assert seen[-1] == 7
