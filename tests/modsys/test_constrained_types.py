"""Constrained types (`t.matching`, `t.between`, `t.one_line`, ...): what they accept, how
their errors read, and that an error names the line that wrote the value."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pydeclos import Module, option
from pydeclos import types as t
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import DeclarationError, OptionTypeError

HOST = t.matching(r"[a-z0-9-]{1,63}", "a host name (letters, digits and '-', 1–63 characters)",
                  example="web-1")


def merged(type_: Any, *values: Any) -> Any:
    modules = [Module(options={"x": option(type_)})]
    modules += [Module(config={"x": value}) for value in values]
    return evaluate(Module(imports=modules)).value("x")


def type_error(type_: Any, value: Any) -> str:
    with pytest.raises(OptionTypeError) as caught:
        merged(type_, value)
    return str(caught.value)


@pytest.mark.parametrize(("type_", "good", "bad"), [
    (HOST, "web-1", "web_1"),
    (HOST, "a", ""),
    (HOST, "web", "web\n"),  # `re.match` with `$` would take it
    (HOST, "web", 3),
    (t.matching(re.compile("[0-9]+"), "digits"), "12", "12a"),
    (t.between(1, 5), 1, 0),
    (t.between(1, 5), 5, 6),
    (t.between(1, 5), 3, True),
    (t.between(1, 5), 3, 3.0),
    (t.between(None, 0), -9, 1),
    (t.positive, 1, 0),
    (t.unsigned, 0, -1),
    (t.one_line, "a b", "a\nb"),
    (t.one_line, "a b", "a\tb"),
    (t.one_line, "", "a\rb"),
    (t.one_line, "é", "a\0b"),
    (t.one_line, "x", "a\x1bb"),
    (t.one_line, "x", "a\u2028b"),
    (t.non_empty, "a\nb", ""),
    (t.non_empty, "a", " \n"),
    (t.non_empty_line, "a", ""),
    (t.non_empty_line, "a", "a\nb"),
    (list[t.one_line], ["a"], ["a", "b\n"]),
    (dict[str, t.positive], {"a": 1}, {"a": 0}),
    (t.positive | None, None, 0),
])
def test_check(type_: Any, good: Any, bad: Any) -> None:
    assert merged(type_, good) == good
    with pytest.raises(OptionTypeError, match="is not of type"):
        merged(type_, bad)


def test_a_pattern_error_names_what_was_expected_and_an_example() -> None:
    message = type_error(HOST, "web_1")
    assert "is not of type `host name (letters, digits and '-', 1–63 characters)`" in message
    assert ("(expected a host name (letters, digits and '-', 1–63 characters), got 'web_1'; "
            "'web-1' is one)") in message


def test_range_and_line_errors_say_what_is_wrong() -> None:
    assert "(expected an int from 1 to 5, got 6)" in type_error(t.between(1, 5), 6)
    assert "(expected an int ≥ 1, got 0)" in type_error(t.positive, 0)
    assert "holds a newline at position 1" in type_error(t.one_line, "a\nb")
    assert "holds a NUL character at position 1" in type_error(t.one_line, "a\0b")
    assert "expected a non-empty string, got ' '" in type_error(t.non_empty, " ")


def test_the_error_names_the_users_line_not_the_declaring_module(
        write: Callable[[str, str], Path]) -> None:
    write("lib.py", """
        from pydeclos import option, types as t

        options = {"host": option(t.matching("[a-z]+", "a lowercase word"), default="a"),
                   "count": option(t.between(1, 3), default=1)}
    """)
    write("system.py", """
        imports = ["./lib.py"]
        def config(cfg):
            return {
                "count": 2,
                "host": "Web",
            }
    """)
    with pytest.raises(OptionTypeError) as caught:
        evaluate(write("root.py", 'imports = ["./system.py"]\n')).to_data()
    message = str(caught.value)
    assert 'system.py:5`: "Web"' in message
    assert "lib.py:3`." in message


def test_docs_show_the_human_name() -> None:
    evaluation = evaluate(Module(options={
        "host": option(HOST), "hosts": option(list[HOST]), "n": option(t.between(0, 9)),
        "line": option(t.one_line | None),
    }), run=False)
    types = {info.path: info.type for info in evaluation.options}
    assert types["host"] == "host name (letters, digits and '-', 1–63 characters)"
    assert types["hosts"] == "list[host name (letters, digits and '-', 1–63 characters)]"
    assert types["n"] == "int from 0 to 9"
    assert types["line"] == "one-line str | None"


def test_a_redeclaration_keeps_the_same_rule_and_rejects_another() -> None:
    same = Module(options={"x": option(t.matching("[a-z]+", "a word"))})
    again = Module(options={"x": option(t.matching("[a-z]+", "a word"))})
    assert evaluate(Module(imports=[same, again, Module(config={"x": "a"})])).value("x") == "a"
    other = Module(options={"x": option(t.matching("[0-9]+", "a word"))})
    with pytest.raises(DeclarationError):
        evaluate(Module(imports=[same, other]))


@pytest.mark.parametrize(("make", "text"), [
    (lambda: t.matching("[a-z", "a word"), "is not a regular expression"),
    (lambda: t.matching("[a-z]+", ""), "needs a description"),
    (lambda: t.matching("[a-z]+", "a word", example="A"), "does not match"),
    (lambda: t.between(5, 1), "swap them"),
    (lambda: t.between(1.5, 2), "must be ints"),
])
def test_a_malformed_type_is_a_declaration_error(make: Callable[[], Any], text: str) -> None:
    with pytest.raises(DeclarationError, match=text):
        make()


def test_dict_keys_can_be_typed_and_a_bad_key_is_reported_at_its_line(
        write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    write("lib.py", """
        from pydeclos import option, types as t

        word = t.matching("[a-z]+", "a lowercase word")
        options = {"users": option(dict[word, t.submodule({"uid": option(int, default=0)})],
                                   default={})}
    """)
    system = write("system.py", """
        imports = ["./lib.py"]
        config = {"users": {
            "alice": {"uid": 1},
            "machine$": {"uid": 2},
        }}
    """)
    monkeypatch.chdir(system.parent)
    evaluation = evaluate(system)
    assert evaluation.options[-2].type == "dict[lowercase word, submodule]"
    assert evaluation.value("users.alice.uid") == 1
    for read in (evaluation.to_data, lambda: evaluation.value("users.machine$")):
        with pytest.raises(OptionTypeError) as caught:
            read()
        assert str(caught.value) == (
            "A definition for option `users` has a key that is not of type `lowercase word`:\n"
            '- In `system.py:4`: "machine$"\n'
            "(expected a lowercase word, got 'machine$')\n"
            "Declared in `lib.py:4`.\n"
            "Change the key to one of type `lowercase word`."
        )


def test_dict_keys_must_be_str_types() -> None:
    with pytest.raises(DeclarationError, match="keyed by str"):
        evaluate(Module(options={"x": option(dict[t.positive, int])}))
