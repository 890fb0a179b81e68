"""`evaluate(..., other_spellings=f)`: an unknown option's error adds what `f` says about
its name (or a name inside the value defined there); the engine knows nothing else of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

Writer = Callable[[str, str], Path]

TOY = """
from pydeclos import option

options = {"toy": {
    "port_number": option(int, default=80),
    "hosts": option(dict[str, dict[str, int]], default={}),
}}
"""
SPELLINGS = {"toy.portNumber": "Elsewhere `toy.portNumber` is `toy.port_number`.",
             "toy.deep.inner.leaf": "The leaf is `toy.port_number`."}


def spelling(path: str) -> str | None:
    return SPELLINGS.get(path)


@pytest.mark.parametrize("config,words", [
    ('{"toy": {"portNumber": 8080}}',
     ["`toy.portNumber` does not exist", "system.py:2", "is `toy.port_number`."]),
    ('{"toy": {"deep": {"inner": {"leaf": 1}}}}',
     ["`toy.deep` does not exist", "system.py:2", "The leaf is `toy.port_number`."]),
])
def test_unknown_option_says_the_other_spelling(write: Writer, config: str,
                                                words: list[str]) -> None:
    write("toy.py", TOY)
    root = write("system.py", f'imports = ["./toy.py"]\nconfig = {config}\n')
    with pytest.raises(e.UnknownOptionError) as caught:
        evaluate(root, other_spellings=spelling)
    message = str(caught.value)
    for word in words:
        assert word in message
    assert message.splitlines()[-1].startswith("Fix the name"), "the hint stays last"


def test_without_other_spellings_the_error_is_unchanged(write: Writer) -> None:
    write("toy.py", TOY)
    root = write("system.py", 'imports = ["./toy.py"]\nconfig = {"toy": {"portNumber": 1}}\n')
    with pytest.raises(e.UnknownOptionError) as caught:
        evaluate(root)
    assert "Elsewhere" not in str(caught.value)
    assert "Did you mean `toy.port_number`" in str(caught.value)


def test_names_the_spelling_is_silent_about_are_not_mentioned(write: Writer) -> None:
    write("toy.py", TOY)
    root = write("system.py", 'imports = ["./toy.py"]\nconfig = {"toy": {"prot": 1}}\n')
    with pytest.raises(e.UnknownOptionError) as caught:
        evaluate(root, other_spellings=spelling)
    assert "Elsewhere" not in str(caught.value)


def test_asking_for_a_value_by_the_other_spelling(write: Writer) -> None:
    write("toy.py", TOY)
    root = write("system.py", 'imports = ["./toy.py"]\n')
    evaluation = evaluate(root, other_spellings=spelling)
    with pytest.raises(e.UnknownOptionError, match="is `toy.port_number`"):
        evaluation.value("toy.portNumber")
    assert evaluation.value("toy.port_number") == 80


def test_inside_a_submodule_value(write: Writer) -> None:
    """The path told is the full one, with the attribute name the user wrote."""
    write("toy.py", """
        from pydeclos import option, types as t

        options = {"toy": {"users": option(dict[str, t.submodule({
            "keys": option(list[str], default=[]),
        })], default={})}}
    """)
    root = write("system.py", 'imports = ["./toy.py"]\n'
                              'config = {"toy": {"users": {"al.ice": {"sshKeys": ["k"]}}}}\n')
    said = []

    def record(path: str) -> str | None:
        said.append(path)
        return f"`{path}` is `toy.users.<name>.keys`." if path.endswith("sshKeys") else None

    with pytest.raises(e.UnknownOptionError) as caught:
        evaluate(root, other_spellings=record).to_data()
    assert 'toy.users."al.ice".sshKeys' in said
    assert '`toy.users."al.ice".sshKeys` is `toy.users.<name>.keys`.' in str(caught.value)
    assert "system.py:2" in str(caught.value)


def test_reading_the_other_spelling_in_a_config_function(write: Writer) -> None:
    write("toy.py", TOY)
    root = write("system.py", """
        imports = ["./toy.py"]
        def config(cfg):
            return {"toy": {"hosts": {"a": {"p": cfg.toy.portNumber}}}}
    """)
    with pytest.raises(e.UnknownOptionError) as caught:
        evaluate(root, other_spellings=spelling)
    message = str(caught.value)
    assert "Elsewhere `toy.portNumber` is `toy.port_number`." in message
    assert "system.py:3" in message
