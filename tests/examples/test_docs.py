"""docs/options.md and docs/option-search/index.html are exactly what `pydeclos options`
writes now."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.examples.conftest import ROOT


def test_option_reference_is_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # declarations are shown relative to the working directory
    result = CliRunner().invoke(main, ["options", "--markdown"])
    assert result.exit_code == 0, result.output
    committed = (ROOT / "docs" / "options.md").read_text()
    assert committed == result.output, (
        "docs/options.md is stale; regenerate it from the repository root with\n"
        "    .venv/bin/pydeclos options --markdown > docs/options.md")


def test_searchable_option_page_is_up_to_date(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["options", "--html", str(tmp_path)])
    assert result.exit_code == 0, result.output
    committed = (ROOT / "docs" / "option-search" / "index.html").read_text()
    assert committed == (tmp_path / "index.html").read_text(), (
        "docs/option-search/index.html is stale; regenerate it from the repository root with\n"
        "    .venv/bin/pydeclos options --html docs/option-search")


def test_every_topic_page_is_linked_from_the_index() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    for page in sorted((ROOT / "docs" / "topics").glob("*.md")):
        assert f"(topics/{page.name})" in index, page.name
