"""`pydeclos graph`: modules, options and read/define/import edges."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("pydeclos.library.stdlib_modules", lambda: [])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "web.py").write_text(textwrap.dedent("""
        from pydeclos import option
        options = {"web": {"enable": option(bool, default=False),
                           "port": option(int, default=80)}}

        def config(cfg):
            if cfg.web.enable:
                return {"web": {"port": 443}}
            return {}
    """).lstrip())
    path = tmp_path / "system.py"
    path.write_text('imports = ["./web.py"]\nconfig = {"web": {"enable": True}}\n')
    return path


def test_json_edges(system: Path) -> None:
    result = CliRunner().invoke(main, ["graph", str(system), "--json"])
    assert result.exit_code == 0, result.output
    graph = json.loads(result.stdout)
    edges = {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}
    assert ("option:web.enable", "module:web.py", "reads") in edges
    assert ("module:web.py", "option:web.port", "defines") in edges
    assert ("module:system.py", "option:web.enable", "defines") in edges
    assert ("module:system.py", "module:web.py", "imports") in edges
    kinds = {n["id"]: n["kind"] for n in graph["nodes"]}
    assert kinds["module:web.py"] == "module" and kinds["option:web.port"] == "option"


def test_dot_and_text(system: Path) -> None:
    dot = CliRunner().invoke(main, ["graph", str(system), "--dot"]).stdout
    assert dot.startswith("digraph pydeclos {")
    assert '"option:web.enable" -> "module:web.py" [style=dashed, label="reads"];' in dot
    text = CliRunner().invoke(main, ["graph", str(system)]).stdout
    assert "web.py (web.py:5)\n  reads: web.enable\n  defines: web.port" in text
