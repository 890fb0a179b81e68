"""`pydeclos build` refuses clearly, and writes nothing, when it cannot build.

Not root, a missing mkosi, an unreachable mirror, a package that does not exist: each is
one message that names the fix, exit status 1, no traceback, and no output directory.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from tests.conftest import FIXTURE_TREE, copy_tree, unavailable, unprivileged


def run_build(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["build", *args], env=env)


def assert_refused(result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert ("\n" + result.output).count("\nerror: ") == 1, result.output
    for phrase in phrases:
        assert phrase in result.output, result.output


def test_not_root_is_one_message_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Loaded while still root: the interpreter's own files may be unreadable to `nobody`.
    for module in ("pydeclos.cli.build", "pydeclos.build.pipeline", "pydeclos.build.system"):
        importlib.import_module(module)
    with unprivileged():
        result = run_build(str(FIXTURE_TREE), "-o", str(out))
    assert_refused(result, "needs root", "sudo")
    assert not out.exists()


@pytest.mark.needs_root
def test_missing_mkosi_names_the_setup_script(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_build(str(FIXTURE_TREE), "-o", str(out),
                       env={"PYDECLOS_MKOSI": str(tmp_path / "no-such-mkosi")})
    assert_refused(result, "mkosi >= 24", "scripts/setup-host")
    assert not out.exists()


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_unreachable_mirror_names_it_and_the_option(tmp_path: Path) -> None:
    tree = copy_tree(FIXTURE_TREE, tmp_path / "tree")
    for sources in tree.glob("**/sources.list.d/*.sources"):
        sources.write_text(sources.read_text().replace(
            "http://deb.debian.org/", "http://127.0.0.1:9/"))
    out = tmp_path / "out"
    result = run_build(str(tree), "-o", str(out))
    assert_refused(result, "cannot reach the package mirror http://127.0.0.1:9/debian",
                   "image.mirror")
    assert not out.exists()


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_unknown_package_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    tree = copy_tree(FIXTURE_TREE, tmp_path / "tree")
    conf = tree / "mkosi.conf"
    conf.write_text(conf.read_text().replace(
        "        e2fsprogs\n", "        e2fsprogs\n        no-such-package-pydeclos\n"))
    out = tmp_path / "out"
    out.mkdir()
    result = run_build(str(tree), "-o", str(out))
    assert_refused(result, "no-such-package-pydeclos", "do not exist in debian trixie")
    assert list(out.iterdir()) == []


def test_an_existing_generation_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "3").mkdir(parents=True)
    (out / "3" / "generation.json").write_text("{}")
    result = run_build(str(FIXTURE_TREE), "-o", str(out), "--version", "3")
    if result.output.startswith("error: pydeclos build runs mkosi, which needs root"):
        unavailable("needs root: the root check comes first")
    assert_refused(result, "generation 3 already exists", "Leave out --version to build 4")
    assert (out / "3" / "generation.json").read_text() == "{}"
