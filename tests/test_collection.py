"""Every test file is collected: a tier cannot silently drop out of `make test`.

pytest skips some directory names by default (`build` among them), and a file whose tests
all fail to be collected shows up as nothing at all. So the set of files pytest collects
from must equal the set of `test_*.py` files under tests/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def test_every_test_file_is_collected() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:syrupy"],  # syrupy fails a run that leaves snapshots unused
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = {line.split("::", 1)[0] for line in result.stdout.splitlines() if "::" in line}
    on_disk = {str(p.relative_to(REPO)) for p in TESTS.rglob("test_*.py")
               if "__snapshots__" not in p.parts}
    assert on_disk - collected == set(), "test files pytest does not collect"
    assert collected - on_disk == set(), "collected files that are not test_*.py files"
    assert any(name.startswith("tests/build/") for name in collected)
