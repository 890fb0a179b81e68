"""Every example lowers to a tree, snapshotted file by file (test_tools.py feeds the
examples' trees to the real tools, with expectations written there).

The snapshot is the review surface: a change to lowering or to the module library shows up
as a diff of the generated files (`pytest --snapshot-update` accepts it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.lower import File, lower
from tests.lower import examples


@pytest.fixture(scope="module")
def evaluated(request, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every example's evaluated configuration (installing what an example imports)."""
    configs = {}
    for name in examples.example_names():
        if name in examples.NEEDS_INSTALL:
            site = examples.install(examples.NEEDS_INSTALL[name], tmp_path_factory.mktemp(name))
            with pytest.MonkeyPatch.context() as patch:
                patch.syspath_prepend(str(site))
                configs[name] = examples.evaluate_example(name)
        else:
            configs[name] = examples.evaluate_example(name)
    return configs


def render(tree) -> dict[str, str]:
    """The tree as text: file content with its mode, or the link target."""
    out = {}
    for path, entry in tree.items():
        if isinstance(entry, File):
            out[path] = f"[mode {entry.mode:04o}]\n{entry.content.decode()}"
        else:
            out[path] = f"-> {entry.target}"
    return out


@pytest.mark.parametrize("name", examples.example_names())
def test_tree_snapshot(name: str, evaluated, snapshot) -> None:
    assert render(lower(evaluated[name])) == snapshot


def test_minimal_gives_what_the_vm_test_checks(evaluated) -> None:
    tree = lower(evaluated["minimal"])
    etc = tree["mkosi.extra/usr/share/pydeclos/etc/hostname"]
    assert isinstance(etc, File) and etc.content == b"minimal\n"
    # alice gets her uid (1000 on a fresh machine) at boot, from pydeclos-users.service.
    assert b"u alice - " in tree["mkosi.extra/usr/lib/pydeclos/sysusers-people.conf"].content
    fstab = tree["mkosi.extra/usr/share/pydeclos/etc/fstab"].content.decode()
    assert "tmpfs\t/srv/scratch\ttmpfs\tsize=64M,mode=1777" in fstab
    preset = tree["mkosi.extra/usr/lib/systemd/system-preset/50-pydeclos.preset"].content
    assert b"enable ssh.service\n" in preset
    assert b"alice" in tree["mkosi.extra/usr/share/pydeclos/etc/ssh/authorized_keys.d/alice"].content


def test_cli_writes_the_tree_with_a_version(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = CliRunner().invoke(main, ["lower", str(examples.EXAMPLES / "minimal/system.py"),
                                       "-o", str(out), "--version", "5"])
    assert result.exit_code == 0, result.output
    assert "ImageVersion=5\n" in (out / "mkosi.conf").read_text()
    manifest = json.loads((out / "mkosi.extra/usr/share/pydeclos/generation.json").read_text())
    assert manifest["version"] == 5
    assert os.readlink(out / "mkosi.extra/usr/lib/systemd/system/multi-user.target.wants/"
                             "ssh-host-keys.service") == "../ssh-host-keys.service"


HOSTILE_SYSTEMS = {
    "a command that injects a section": """
def config(cfg):
    return {"systemd": {"services": {"x": {
        "exec_start": ["/bin/true\\n[Install]\\nWantedBy=multi-user.target"]}}}}
""",
    "a user named like a passwd line": """
def config(cfg):
    return {"users": {"users": {"root:x:0": {"is_normal_user": True}}}}
""",
    "an /etc path that leaves /etc": """
def config(cfg):
    return {"environment": {"etc": {"../shadow": {"text": "x"}}}}
""",
    "a kernel parameter with a space": """
def config(cfg):
    return {"boot": {"kernel_params": ["quiet init=/bin/sh"]}}
""",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SYSTEMS))
def test_cli_refuses_hostile_values_and_writes_nothing(case: str, tmp_path: Path) -> None:
    system = tmp_path / "system.py"
    system.write_text(HOSTILE_SYSTEMS[case])
    out = tmp_path / "build"
    result = CliRunner().invoke(main, ["lower", str(system), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and "Traceback" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["system.py"]


def test_cli_stops_at_a_failed_assertion(tmp_path: Path) -> None:
    system = tmp_path / "system.py"
    system.write_text('config = {"assertions": [{"assertion": False, "message": "not today"}]}\n')
    result = CliRunner().invoke(main, ["lower", str(system), "-o", str(tmp_path / "build")])
    assert result.exit_code == 1
    assert "not today" in result.output
    assert not (tmp_path / "build").exists()


def _digest(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            out[key] = f"{path.stat().st_mode & 0o777:o} {path.read_bytes().hex()}"
    return out


@pytest.mark.parametrize("name", ["minimal", "server"])
def test_lowering_does_not_depend_on_the_hash_seed(name: str, tmp_path: Path) -> None:
    """Two processes with different hash seeds write byte-identical trees."""
    trees = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "pydeclos", "lower",
             str(examples.EXAMPLES / name / "system.py"), "-o", str(out)],
            capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        trees.append(_digest(out))
    assert trees[0] == trees[1]


def test_cli_reports_an_unwritable_output_without_a_traceback(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file, not a directory")
    out = blocked / "build"  # its parent is a file: cannot be created
    result = CliRunner().invoke(main, ["lower", str(examples.EXAMPLES / "minimal/system.py"),
                                       "-o", str(out)])
    assert result.exit_code == 1
    assert "cannot write the build tree" in result.output and "Traceback" not in result.output


def test_cli_takes_a_directory_holding_system_py(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lower", str(examples.EXAMPLES / "minimal"),
                                       "-o", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "build/mkosi.extra/usr/share/pydeclos/etc/hostname").read_text() == \
        "minimal\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["lower", str(empty), "-o", str(tmp_path / "other")])
    assert result.exit_code == 1 and "without a system.py" in result.output
