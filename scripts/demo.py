"""`make demo`: evaluate the bundled example and write its build tree."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "minimal" / "system.py"
PYDECLOS = [sys.executable, "-m", "pydeclos"]


def step(title: str, *args: str) -> None:
    print(f"==> {title}: pydeclos {' '.join(args)}", flush=True)
    subprocess.run([*PYDECLOS, *args], check=True, cwd=ROOT)


def main() -> None:
    step("evaluate", "eval", str(EXAMPLE), "--json")
    step("lower", "lower", str(EXAMPLE), "-o", "build/minimal")
    print("demo done: build tree in build/minimal")


if __name__ == "__main__":
    main()
