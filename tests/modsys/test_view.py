"""What config functions see: attribute access, read-only mappings, lists, suggestions."""

from __future__ import annotations

import pytest

from pydeclos import Module, option
from pydeclos import types as t
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import UnknownOptionError

DECLARE = Module(options={
    "server": {"enable": option(bool, default=True), "items": option(int, default=3)},
    "users": option(dict[str, t.submodule({"uid": option(int, default=1000),
                                           "groups": option(list[str], default=[])})],
                    default={}),
    "tags": option(list[str], default=[]),
})


def observe(function: object, *configs: object) -> list:
    seen: list = []

    def config(cfg):
        seen.append(function(cfg))
        return {}

    evaluate(Module(imports=[DECLARE, *(Module(config=c) for c in configs),
                             Module(config=config)]))
    return seen[-1]


def test_attribute_and_item_access_on_option_sets() -> None:
    assert observe(lambda cfg: (cfg.server.enable, cfg["server"]["enable"])) == (True, True)
    assert observe(lambda cfg: ("enable" in cfg.server, sorted(cfg.server))) == (
        True, ["enable", "items"])


def test_option_names_win_over_mapping_methods_in_submodule_values() -> None:
    users = {"users": {"alice": {"groups": ["wheel"]}}}
    assert observe(lambda cfg: cfg.users["alice"].groups, users) == ["wheel"]
    assert observe(lambda cfg: cfg.server.items, users) == 3


def test_dict_options_read_like_mappings() -> None:
    users = {"users": {"alice": {}, "bob": {"uid": 1001}}}
    result = observe(lambda cfg: (list(cfg.users), "bob" in cfg.users,
                                  cfg.users.get("carol", "none"),
                                  {name: user.uid for name, user in cfg.users.items()}), users)
    assert result == (["alice", "bob"], True, "none", {"alice": 1000, "bob": 1001})


def test_lists_read_like_lists_and_concatenate() -> None:
    assert observe(lambda cfg: cfg.tags + ["x"], {"tags": ["a"]}) == ["a", "x"]


def test_getattr_with_default_and_hasattr_work_for_unknown_names() -> None:
    assert observe(lambda cfg: (getattr(cfg.server, "nope", "fallback"),
                                hasattr(cfg, "nope"))) == ("fallback", False)


def test_unknown_read_suggests_close_names() -> None:
    with pytest.raises(UnknownOptionError, match="Did you mean `server.enable`"):
        observe(lambda cfg: cfg.server.enabl)


def test_values_are_read_only() -> None:
    with pytest.raises(Exception, match="read-only"):
        observe(lambda cfg: cfg.users.update({}), {"users": {"a": {}}})
