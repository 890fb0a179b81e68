"""`pydeclos lower`: hostile `source` files and user files in the output directory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from pydeclos.cli import main

ROOT = Path(__file__).resolve().parents[2]


def system_with_source(tmp_path: Path, source: str) -> Path:
    system = tmp_path / "system.py"
    system.write_text(textwrap.dedent(f"""
        config = {{"environment": {{"etc": {{"app.conf": {{"source": {source!r}}}}}}}}}
    """))
    return system


def test_dev_zero_as_source_fails_at_once_without_traceback(tmp_path: Path) -> None:
    """On main this grew until the kernel killed it; now it is one error in seconds."""
    system = system_with_source(tmp_path, "/dev/zero")
    result = subprocess.run(
        [sys.executable, "-m", "pydeclos", "lower", str(system), "-o", str(tmp_path / "tree")],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert 'environment.etc."app.conf".source: /dev/zero is a character device' in result.stderr
    assert "system.py:2" in result.stderr, "the error names the user's line of `source`"
    assert not (tmp_path / "tree").exists()


def test_private_source_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    result = CliRunner().invoke(main, ["lower", str(system_with_source(tmp_path, str(secret))),
                                       "-o", str(tmp_path / "tree")])
    assert result.exit_code == 1
    assert "secrets do not belong in the image" in result.output
    assert "s3cret" not in result.output
    assert not (tmp_path / "tree").exists()


def test_lower_over_a_tree_with_user_files_refuses_then_force_replaces(tmp_path: Path) -> None:
    system = ROOT / "examples/minimal/system.py"
    tree = tmp_path / "tree"
    runner = CliRunner()
    assert runner.invoke(main, ["lower", str(system), "-o", str(tree)]).exit_code == 0
    (tree / "my-script.sh").write_text("echo mine\n")

    refused = runner.invoke(main, ["lower", str(system), "-o", str(tree), "--version", "2"])
    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    assert "my-script.sh" in refused.output and "--force" in refused.output
    assert (tree / "my-script.sh").read_text() == "echo mine\n"
    assert "ImageVersion=1\n" in (tree / "mkosi.conf").read_text()

    forced = runner.invoke(main, ["lower", str(system), "-o", str(tree), "--version", "2",
                                  "--force"])
    assert forced.exit_code == 0, forced.output
    assert not (tree / "my-script.sh").exists()
    assert "ImageVersion=2\n" in (tree / "mkosi.conf").read_text()


def test_lowering_again_into_an_untouched_tree_needs_no_force(tmp_path: Path) -> None:
    system = ROOT / "examples/minimal/system.py"
    runner = CliRunner()
    for version in ("1", "2"):
        result = runner.invoke(main, ["lower", str(system), "-o", str(tmp_path / "t"),
                                      "--version", version])
        assert result.exit_code == 0, result.output
