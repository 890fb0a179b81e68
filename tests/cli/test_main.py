"""The top-level command: --help lists every verb, --version, placeholders exit 2."""

from click.testing import CliRunner

from pydeclos.__about__ import __version__
from pydeclos.cli import VERBS, main


def test_help_lists_every_verb() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for verb in ["eval", "options", "graph", "lower", "build", "vm", "switch", "rollback",
                 "generations", "diff"]:
        assert verb in VERBS
        assert f"  {verb} " in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_verb_has_help() -> None:
    for verb in VERBS:
        result = CliRunner().invoke(main, [verb, "--help"])
        assert result.exit_code == 0, (verb, result.output)
