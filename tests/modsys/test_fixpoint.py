"""The fixpoint: plain reads of cfg, re-running only what changed, deferred exceptions,
replaced (not accumulated) definitions, cycles and determinism."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos import Module, mk_default, option
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import (
    ConfigFunctionError,
    CycleError,
    InvalidDefinitionError,
    MissingValueError,
)

DECLARE = Module(options={
    "a": option(int, default=0), "b": option(int, default=0), "c": option(int, default=0),
    "names": option(list[str], default=[]),
})
BASE = Module(options={"base": option(int)})  # no default


def run(*configs: object) -> tuple[dict, object]:
    modules = [c if isinstance(c, Module) else Module(config=c) for c in configs]
    evaluation = evaluate(Module(imports=[DECLARE, BASE, *modules]))
    return evaluation.to_data(), evaluation


def test_a_reader_before_its_writer_sees_the_final_value() -> None:
    data, _ = run(lambda cfg: {"b": cfg.a + 1}, lambda cfg: {"a": cfg.c + 1}, {"c": 5, "base": 0})
    assert (data["a"], data["b"]) == (6, 7)


def test_only_modules_whose_inputs_changed_run_again() -> None:
    calls = {"reader": 0, "bystander": 0, "writer": 0}

    def reader(cfg):
        calls["reader"] += 1
        return {"b": cfg.a}

    def bystander(cfg):
        calls["bystander"] += 1
        return {"c": cfg.base}

    def writer(cfg):
        calls["writer"] += 1
        return {"a": 3}

    data, _ = run({"base": 1}, reader, bystander, writer)
    assert data["b"] == 3
    assert calls == {"reader": 2, "bystander": 1, "writer": 1}


def test_an_unchanged_value_does_not_wake_readers() -> None:
    calls = []

    def reader(cfg):
        calls.append(cfg.a)
        return {}

    run(reader, {"a": mk_default(0), "base": 0}, lambda cfg: {"names": ["x"]})
    assert calls == [0]


def test_exception_while_inputs_may_change_is_deferred() -> None:
    def needs_base(cfg):
        return {"a": 100 // cfg.base}  # base has no default: missing at first

    data, _ = run(needs_base, lambda cfg: {"base": 4})
    assert data["a"] == 25


def test_exception_that_survives_the_fixpoint_is_reported() -> None:
    with pytest.raises(MissingValueError, match="`base` was accessed"):
        run(lambda cfg: {"a": cfg.base})


def test_definitions_are_replaced_when_a_module_runs_again() -> None:
    def lister(cfg):
        return {"names": [f"a={cfg.a}"]}

    data, _ = run(lister, lambda cfg: {"a": 2, "base": 0})
    assert data["names"] == ["a=2"]


def test_a_configuration_that_never_settles_is_a_cycle() -> None:
    with pytest.raises(CycleError, match="reads a → defines a"):
        run(lambda cfg: {"a": mk_default(cfg.a + 1), "base": 0})


def test_mutual_dependency_that_settles_is_fine() -> None:
    data, _ = run(lambda cfg: {"a": min(cfg.b + 1, 3), "base": 0},
                  lambda cfg: {"b": min(cfg.a + 1, 3)})
    assert (data["a"], data["b"]) == (3, 3)


def test_the_graph_records_reads_and_definitions() -> None:
    _, evaluation = run({"base": 1}, Module(config=lambda cfg: {"a": cfg.base}, name="copier"))
    graph = evaluation.graph
    assert graph.edges["option:base", "module:copier"]["kind"] == "reads"
    assert graph.edges["module:copier", "option:a"]["kind"] == "defines"


def test_config_functions_may_return_an_empty_dict() -> None:
    data, _ = run(lambda cfg: {}, {"a": 1, "base": 0})
    assert data["a"] == 1


FILE = "The config function of `system.py` (`system.py:3`)"


@pytest.mark.parametrize(("body", "culprit"), [
    ("def config(cfg):\n    pass\n", FILE),
    ("def config(cfg):\n    {'a': 1}\n", FILE),  # the dict built, but not returned
    ("def config(cfg):\n    if cfg.b:\n        return {'a': 1}\n", FILE),  # one path returns
    ("def config(cfg):\n    return None\n", FILE),
    ("options = {'u': option(dict[str, t.submodule({'v': option(int, default=0)})])}\n"
     "config = {'u': {'x':\n    lambda cfg, name: None}}\n",  # a submodule's value
     "The config function of `system.py:4` (`system.py:5`)"),
])
def test_a_config_function_that_returns_none_is_an_error(
        write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch, body: str,
        culprit: str) -> None:
    system = write("system.py", "from pydeclos import option, types as t\n"
                                "imports = []\n" + body)
    monkeypatch.chdir(system.parent)
    with pytest.raises(InvalidDefinitionError) as caught:
        evaluate(Module(imports=[DECLARE, system])).to_data()
    assert str(caught.value).splitlines() == [
        f"{culprit} returned None, so it would define nothing.",
        "Return a dict of option values (`return {...}`), or `return {}` when it has nothing to "
        "define.",
    ]


def test_cfg_is_read_only() -> None:
    def mutate(cfg):
        cfg.names.append("x")

    with pytest.raises(ConfigFunctionError, match=r"TypeError at `.*test_fixpoint.py:\d+`.*"
                                                  "read-only"):
        run(mutate, {"base": 0})
    with pytest.raises(ConfigFunctionError, match="read-only"):
        run(lambda cfg: setattr(cfg, "a", 1), {"base": 0})


def test_a_long_chain_against_module_order_is_not_a_cycle() -> None:
    """Each module reads what the next one defines: one more settles per pass."""
    size = 150
    declare = Module(options={f"x{i}": option(int, default=0) for i in range(size + 1)})

    def step(i: int):  # noqa: ANN202
        return lambda cfg: {f"x{i}": cfg[f"x{i + 1}"] + 1}

    chain = [Module(config=step(i)) for i in range(size)]
    evaluation = evaluate(Module(imports=[declare, *chain, Module(config={f"x{size}": 1})]))
    assert evaluation.value("x0") == size + 1


def test_a_value_computed_from_itself_is_a_cycle() -> None:
    from pydeclos import types as t

    host = t.submodule({"root": option(str, default="/")})
    declare = Module(options={"hosts": option(dict[str, host], default={})})

    def system(cfg):
        return {"hosts": {"a": lambda sub: {"root": "/" + str(len(cfg.hosts))}}}

    with pytest.raises(CycleError, match="`hosts` needs its own value"):
        evaluate(Module(imports=[declare, BASE, Module(config={"base": 0}),
                                 Module(config=system)])).to_data()


def test_a_cycle_names_the_options_that_keep_changing_and_where_they_are_defined(
        write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    write("up.py", "def config(cfg):\n    return {\n        'a': cfg.b + 1,\n    }\n")
    write("down.py", "def config(cfg):\n    return {'b': cfg.a - 2}\n")
    write("reader.py", "def config(cfg):\n    return {'c': 1 if cfg.a else 0}\n")  # settled
    system = write("system.py", "imports = ['./up.py', './down.py', './reader.py']\n")
    monkeypatch.chdir(system.parent)
    with pytest.raises(CycleError) as caught:
        evaluate(Module(imports=[DECLARE, system])).to_data()
    lines = str(caught.value).splitlines()
    assert lines[2] == "The options that keep changing, and where they are defined:"
    assert re.fullmatch(r"- `a` is defined by module up.py in `up.py:3` \(-\d+\)", lines[3])
    assert re.fullmatch(r"- `b` is defined by module down.py in `down.py:2` \(-\d+\)", lines[4])
    assert lines[5].startswith("Break the cycle")
