"""Lower a throw-away system file through `pydeclos lower`, as a user would."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner, Result

from pydeclos.cli import main


def lower_cli(text: str, work: Path, **others: str) -> tuple[Path, Result]:
    """Write `text` as work/system.py (and each of `others` as work/<name>.py beside it), run
    `pydeclos lower` into work/tree; the tree's directory and the CLI's result. A user
    mistake is an error message, never a traceback."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "system.py").write_text(textwrap.dedent(text))
    for name, other in others.items():
        (work / f"{name}.py").write_text(textwrap.dedent(other))
    result = CliRunner().invoke(main, ["lower", str(work / "system.py"), "-o", str(work / "tree")])
    assert "Traceback" not in result.output, result.output
    return work / "tree", result
