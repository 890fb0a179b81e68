"""Every user error: its own class, the option path, file:line of each definition and
declaration involved, and a hint. The full texts are snapshots (they are API)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pydeclos.errors import PydeclosError
from pydeclos.modsys import errors as e
from pydeclos.modsys import evaluate

Writer = Callable[[str, str], Path]

LIBRARY = """
from typing import Literal
from pydeclos import option, types as t

options = {
    "networking": {
        "hostname": option(str, default="pydeclos", description="Host name."),
        "domain": option(str | None, default=None),
    },
    "services.web": {
        "enable": option(bool, default=False),
        "port": option(t.Port, default=80),
        "package": option(t.package, default="nginx"),
        "root": option(t.Path, default="/srv/www"),
        "version": option(int, read_only=True, default=1),
        "mode": option(Literal["fast", "safe"], default="safe"),
    },
}
"""

CASES = {
    "unknown": ('config = {\n    "networking": {"hostnam": "web1"},\n}\n',
                e.UnknownOptionError, ["networking.hostnam", "system.py:2",
                                       "Did you mean `networking.hostname`"]),
    "type": ('config = {"services.web.port": 70000}\n', e.OptionTypeError,
             ["services.web.port", "system.py:1", "library.py:11", "outside 0–65535"]),
    "conflict": ('imports = ["./other.py"]\nconfig = {\n    "networking": {\n'
                 '        "hostname": "a",\n    },\n}\n', e.ConflictingDefinitionsError,
                 ["networking.hostname", "system.py:4", "other.py:1", "library.py:6",
                  "mk_force"]),
    "unique": ('config = {"services": {"web": {"package": "apache2"}}}\n'
               'imports = ["./other.py"]\n', e.UniqueOptionError,
               ["services.web.package", "system.py:1", "other.py:3"]),
    "read_only": ('config = {"services.web.version": 2}\n', e.ReadOnlyOptionError,
                  ["services.web.version", "system.py:1", "library.py:14"]),
    "null_mix": ('imports = ["./other.py"]\nconfig = {"networking.domain": None}\n',
                 e.NullMixError, ["networking.domain", "system.py:2", "other.py:1"]),
    "missing": ('from pydeclos import option\noptions = {"user": option(str)}\n',
                e.MissingValueError, ["`user`", "system.py:2", "Try setting the option"]),
    "assertion": ('def config(cfg):\n    return {"assertions": [\n'
                  '        {"assertion": cfg.services.web.port > 1024, "message": "use a high port"},\n'
                  '    ]}\n', e.AssertionsFailedError,
                  ["Failed assertions:", "- use a high port", "system.py:2"]),
    "cycle": ('def config(cfg):\n    return {"services.web.port": cfg.networking.hostname.count("x") + 1}\n'
              'imports = ["./other2.py"]\n', e.CycleError,
              ["never settles", "reads services.web.port", "defines networking.hostname",
               "reads networking.hostname", "defines services.web.port", "system.py:1",
               "other2.py:1"]),
    "bad_condition": ('from pydeclos import mk_if\n'
                      'config = {"services.web": mk_if("yes", {"enable": True})}\n',
                      e.InvalidDefinitionError, ["non-Boolean condition", "services.web", "system.py:2"]),
    "python_error": ('def config(cfg):\n    return {"networking.hostname": 1 / 0}\n',
                     e.ConfigFunctionError, ["ZeroDivisionError", "system.py:2"]),
    "read_typo": ('def config(cfg):\n    if cfg.services.web.enabel:\n        return {}\n',
                  e.UnknownOptionError, ["services.web.enabel", "Read in `system.py:2`",
                                         "Did you mean `services.web.enable`"]),
    "option_in_config": ('from pydeclos import option\nconfig = {"extra": option(int)}\n',
                         e.UnknownOptionError, ["`extra` does not exist", "system.py:2",
                                                "rather than `options`"]),
}

OTHER = {
    "conflict": 'config = {"networking.hostname": "b"}\n',
    "unique": 'options = {}\n\nconfig = {"services.web.package": "nginx-light"}\n',
    "null_mix": 'config = {"networking": {"domain": "example.org"}}\n',
}
OTHER2 = ('def config(cfg):\n    return {"networking.hostname": "x" * (cfg.services.web.port % 7)}\n')


@pytest.mark.parametrize("case", sorted(CASES))
def test_error(case: str, write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               snapshot: object) -> None:
    source, kind, expected = CASES[case]
    monkeypatch.chdir(tmp_path)
    library = write("library.py", LIBRARY)
    write("other.py", OTHER.get(case, ""))
    write("other2.py", OTHER2)
    system = write("system.py", source)
    with pytest.raises(kind) as raised:
        evaluate(system, prelude=[library]).to_data()
    message = str(raised.value)
    assert isinstance(raised.value, PydeclosError)
    for text in expected:
        assert text in message, (text, message)
    assert message.count("\n") < 20
    assert message == snapshot
