"""Property tests: results depend only on the documented orders, never on key order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pydeclos import Module, mk_if, mk_order, mk_override, option
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import ConflictingDefinitionsError

DECLARE = Module(options={
    "x": option(int, default=-1),
    "items": option(list[int], default=[]),
    "table": option(dict[str, list[int]], default={}),
    "flags": {name: option(bool, default=False) for name in "abcdef"},
})

names = st.sampled_from("abcdef")


def evaluate_configs(configs: list[Any]) -> dict[str, Any]:
    return evaluate(Module(imports=[DECLARE, *(Module(config=c) for c in configs)])).to_data()


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(names, st.booleans(), min_size=1), st.randoms(use_true_random=False))
def test_key_order_does_not_matter(flags: dict[str, bool], random: Any) -> None:
    keys = list(flags)
    shuffled = keys[:]
    random.shuffle(shuffled)
    first = evaluate_configs([{"flags": {k: flags[k] for k in keys}}])
    second = evaluate_configs([{"flags": {k: flags[k] for k in shuffled}}])
    assert first == second


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([10, 50, 100, 1000]), st.integers(0, 2)),
                max_size=5))
def test_only_the_best_priority_counts(definitions: list[tuple[int, int]]) -> None:
    configs = [{"x": mk_override(priority, value)} for priority, value in definitions]
    if not definitions:
        assert evaluate_configs(configs)["x"] == -1
        return
    best = min(priority for priority, _ in definitions)
    winners = {value for priority, value in definitions if priority == best}
    if len(winners) > 1:
        with pytest.raises(ConflictingDefinitionsError):
            evaluate_configs(configs)
    else:
        assert evaluate_configs(configs)["x"] == winners.pop()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, 500, 1000, 1500]),
                          st.lists(st.integers(0, 9), max_size=3)), max_size=6))
def test_list_order_is_order_priority_then_module_order(
        definitions: list[tuple[int | None, list[int]]]) -> None:
    configs = [{"items": items if order is None else mk_order(order, items)}
               for order, items in definitions]
    ranked = sorted(enumerate(definitions), key=lambda e: (1000 if e[1][0] is None else e[1][0],
                                                           e[0]))
    expected = [item for _, (_, items) in ranked for item in items]
    assert evaluate_configs(configs)["items"] == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 9)), max_size=8))
def test_mk_if_filters_exactly_the_false_ones(entries: list[tuple[bool, int]]) -> None:
    configs = [{"items": [mk_if(condition, value)]} for condition, value in entries]
    assert evaluate_configs(configs)["items"] == [v for c, v in entries if c]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(names, st.lists(st.integers(0, 9), max_size=2), max_size=3),
                max_size=4))
def test_dicts_merge_per_key_in_module_order(tables: list[dict[str, list[int]]]) -> None:
    expected: dict[str, list[int]] = {}
    for table in tables:
        for key, values in table.items():
            expected.setdefault(key, []).extend(values)
    assert evaluate_configs([{"table": t} for t in tables])["table"] == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_functions_reading_each_other_settle_like_a_straight_line(chain: list[bool]) -> None:
    """Module i sets flag i+1 to (flag i) xor chain[i], whatever order they run in."""
    letters = "abcdef"

    def step(index: int) -> Any:
        def config(cfg):
            if index == 0:
                return {"flags": {"a": chain[0]}}
            return {"flags": {letters[index]: cfg.flags[letters[index - 1]] != chain[index]}}
        return config

    configs = [step(i) for i in reversed(range(len(chain)))]
    expected, value = {}, False
    for index, flip in enumerate(chain):
        value = flip if index == 0 else value != flip
        expected[letters[index]] = value
    flags = evaluate_configs(configs)["flags"]
    assert {k: flags[k] for k in expected} == expected


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_fixpoint_equals_straight_evaluation_in_any_module_order(data: Any) -> None:
    """Option v_i = 1 + the sum of the v_j it depends on (j < i), each computed by its own
    module; whatever order the modules come in, the fixpoint is the straight-line value."""
    size = data.draw(st.integers(1, 7))
    depends = [data.draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
               for i in range(size)]
    order = data.draw(st.permutations(range(size)))
    declare = Module(options={f"v{i}": option(int, default=0) for i in range(size)})

    def module(i: int) -> Module:
        return Module(config=lambda cfg: {f"v{i}": 1 + sum(cfg[f"v{j}"] for j in depends[i])})

    expected: list[int] = []
    for i in range(size):
        expected.append(1 + sum(expected[j] for j in depends[i]))
    result = evaluate(Module(imports=[declare, *(module(i) for i in order)])).to_data()
    assert [result[f"v{i}"] for i in range(size)] == expected
