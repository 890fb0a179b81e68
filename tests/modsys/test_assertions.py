"""Failed assertions: the message, where it was written, and where the options it names
(`"options": [...]`) were defined — the user's lines when the user defined them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import AssertionsFailedError

LIBRARY = """
from pydeclos import option, mk_default, mk_if, types as t

options = {
    "web": {"port": option(t.Port, default=80)},
    "db": {"port": option(t.Port, default=5432)},
    "users": option(dict[str, t.submodule({"shell": option(str, default="sh")})], default={}),
    "check": option(str, default="ports"),
}

def config(cfg):
    return {
        "db": {"port": mk_default(5432)},
        "assertions": [
            mk_if(cfg.check == "ports", {"assertion": cfg.web.port != cfg.db.port,
                  "message": "web and db need different ports", "options": OPTIONS}),
            mk_if(cfg.check == "shells", {
                "assertion": all(u.shell != "csh" for u in cfg.users.values()),
                "message": "no csh", "options": OPTIONS}),
        ],
    }
"""


@pytest.mark.parametrize(("options", "system", "expected"), [
    # the user's definition, with its line and value
    (["web.port"], '"web.port": 5432', "`web.port` is defined in `system.py:3` (5432)"),
    # a library's definition (here under mk_default)
    (["db.port"], '"web.port": 5432', "`db.port` is defined in `lib.py:12` (5432)"),
    # every definition of it, whatever its priority
    (["db.port"], '"web.port": 1, "db.port": 1', "`db.port` is defined in `lib.py:12` (5432), "
                                                 "`system.py:3` (1)"),
    # only its default
    (["web.port"], '"db.port": 80', "`web.port` is not defined; its default is declared in "
                                    "`lib.py:4`"),
    # a path into a dict option's entry
    (["users.bob.shell"], '"check": "shells", "users": {"bob": {"shell": "csh"}}',
     '`users.bob.shell` is defined in `system.py:3` ("csh")'),
    # a quoted entry name with a dot
    (['users."b.c".shell'], '"check": "shells", "users": {"b.c": {"shell": "csh"}}',
     '`users."b.c".shell` is defined in `system.py:3` ("csh")'),
    # a name that is no option
    (["web.prot"], '"web.port": 5432', "`web.prot`: no such option (the assertion names it in "
                                    "its `options`; fix that list). Did you mean `web.port`?"),
])
def test_a_failed_assertion_lists_where_its_options_were_defined(
        write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch, options: list[str],
        system: str, expected: str) -> None:
    write("lib.py", LIBRARY.replace("OPTIONS", repr(options)))
    path = write("system.py", f'imports = ["./lib.py"]\nconfig = {{\n    {system},\n}}\n')
    monkeypatch.chdir(path.parent)
    with pytest.raises(AssertionsFailedError) as caught:
        evaluate(path).to_data()
    lines = str(caught.value).splitlines()
    assert lines[1].startswith("- ") and lines[1].endswith("(in `lib.py:13`)")
    assert lines[2] == "  " + expected


def test_an_entry_without_options_reads_as_before(
        write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("system.py", """
        config = {"assertions": [{"assertion": False, "message": "always"}]}
    """)
    monkeypatch.chdir(path.parent)
    with pytest.raises(AssertionsFailedError) as caught:
        evaluate(path).to_data()
    assert str(caught.value) == (
        "Failed assertions:\n- always (in `system.py:1`)\n"
        "Change the configuration so that these conditions hold (each entry of the option "
        "`assertions` names what to change)."
    )


def test_options_must_be_a_list_of_paths(write: Callable[[str, str], Path]) -> None:
    path = write("system.py", """
        config = {"assertions": [{"assertion": False, "message": "m", "options": "a.b"}]}
    """)
    with pytest.raises(Exception, match=r"assertions\[0\]\.options.*list\[str\]"):
        evaluate(path).to_data()
