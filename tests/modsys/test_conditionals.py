"""mk_if and mk_merge, at option level and on sets of options."""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_if, mk_merge, option
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import InvalidDefinitionError, UnknownOptionError

DECLARE = Module(options={
    "enable": option(bool, default=False),
    "port": option(int, default=80),
    "tags": option(list[str], default=[]),
    "users": option(dict[str, int], default={}),
})


def data(*configs: object) -> dict:
    return evaluate(Module(imports=[DECLARE, *(Module(config=c) for c in configs)])).to_data()


def test_false_condition_drops_the_definition() -> None:
    assert data({"port": mk_if(False, 1)})["port"] == 80
    assert data({"port": mk_if(True, 1)})["port"] == 1


def test_condition_on_a_set() -> None:
    assert data(mk_if(True, {"port": 2, "enable": True}))["enable"] is True
    assert data(mk_if(False, {"port": 2, "enable": True}))["port"] == 80


def test_condition_read_from_cfg() -> None:
    result = data({"enable": True}, lambda cfg: mk_if(cfg.enable, {"port": 443}))
    assert result["port"] == 443


def test_plain_python_if_on_cfg() -> None:
    def config(cfg):
        if cfg.enable:
            return {"tags": ["on"]}
        return {}

    assert data(config)["tags"] == []
    assert data(config, {"enable": True})["tags"] == ["on"]


def test_mk_merge_combines_definitions() -> None:
    assert data(mk_merge([{"tags": ["a"]}, {"tags": ["b"]}, mk_if(False, {"tags": ["c"]})]))[
        "tags"] == ["a", "b"]


def test_list_elements_may_be_conditional() -> None:
    assert data({"tags": ["a", mk_if(False, "b"), mk_if(True, "c")]})["tags"] == ["a", "c"]


def test_dict_key_whose_definitions_all_vanish_is_dropped() -> None:
    assert data({"users": {"a": mk_if(False, 1), "b": 2}})["users"] == {"b": 2}


def test_non_bool_condition_is_an_error() -> None:
    with pytest.raises(InvalidDefinitionError, match="non-Boolean condition"):
        data({"port": mk_if(1, 2)})
    with pytest.raises(InvalidDefinitionError, match="non-Boolean condition"):
        data(mk_if("yes", {"port": 2}))


def test_unknown_option_under_false_condition_is_still_unknown() -> None:
    with pytest.raises(UnknownOptionError, match="`nope` does not exist"):
        data(mk_if(False, {"nope": 1}))
