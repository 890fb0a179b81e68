"""README.md stays true: its example evaluates and its verb table matches the CLI."""

import re
from pathlib import Path

from pydeclos.cli import VERBS
from pydeclos.library import stdlib_modules
from pydeclos.modsys import evaluate

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_example_evaluates(tmp_path: Path) -> None:
    example = re.search(r"```python\n(.*?)```", README, re.S)
    assert example, "README.md has no python example"
    system = tmp_path / "system.py"
    system.write_text(example.group(1))
    data = evaluate(system, prelude=stdlib_modules()).to_data()
    assert data["networking"]["hostname"] == "web1"
    assert {"htop", "curl"} <= set(data["packages"])
    assert data["services"]["openssh"]["enable"] is True
    assert "alice" in data["users"]["users"]


def test_readme_lists_every_verb_and_only_those() -> None:
    table_verbs = set(re.findall(r"^\| `pydeclos (\w+)", README, re.M))
    table_verbs |= set(re.findall(r"`(\w+)`", " ".join(
        line for line in README.splitlines() if line.startswith("| `pydeclos switch`"))))
    assert table_verbs == set(VERBS)


def test_readme_names_the_two_make_targets() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    for target in re.findall(r"^    make (\w+)", README, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), target
