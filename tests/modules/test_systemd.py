"""Services written in shell, with typed settings: what lands in the unit and under /usr,
checked by `systemd-analyze verify` and by running the generated scripts with bash."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.lower import tools, validators
from tests.modules.lowering import lower_cli

EXTRA = "mkosi.extra"
UNITS = f"{EXTRA}/usr/lib/systemd/system"
SCRIPTS = f"{EXTRA}/usr/lib/pydeclos/services"

BACKEND = """\
def config(cfg):
    return {"systemd": {"services": {"backend": {
        "description": "A backend",
        "pre_start": "mkdir -p \\"$OUT\\"\\necho pre >> \\"$OUT/log\\"",
        "script": "echo \\"start $GREETING\\" >> \\"$OUT/log\\"\\nfalse\\necho never >> \\"$OUT/log\\"",
        "post_start": "echo post >> \\"$OUT/log\\"",
        "path": ["curl", "/opt/backend/bin"],
        "environment": {"GREETING": 'say "hi" 100% \\\\o/', "PORT": 8080, "OUT": "/tmp/out"},
        "restart": "always", "restart_sec": 5, "timeout_stop_sec": "1min 30s",
        "state_directory": ["backend"],
        "service_config": {"LimitNOFILE": 65536, "MemoryDenyWriteExecute": True,
                           "ReadWritePaths": ["/srv/app", "/var/cache/app"], "Nice": -5,
                           "TimeoutStartSec": 600, "RemainAfterExit": False},
        "wanted_by": ["multi-user.target"],
    }}}}
"""


def lower(text: str, work: Path) -> Path:
    tree, result = lower_cli(text, work)
    assert result.exit_code == 0, result.output
    return tree


def refused(text: str, work: Path) -> str:
    tree, result = lower_cli(text, work)
    assert result.exit_code == 1, result.output
    assert not tree.exists()
    return result.output


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lower(BACKEND, tmp_path_factory.mktemp("backend"))


def test_shell_phases_are_executable_scripts_that_the_unit_runs(backend: Path) -> None:
    unit = (backend / UNITS / "backend.service").read_text().splitlines()
    assert [line for line in unit if line.startswith("Exec")] == [
        "ExecStartPre=/usr/lib/pydeclos/services/backend/pre-start",
        "ExecStart=/usr/lib/pydeclos/services/backend/start",
        "ExecStartPost=/usr/lib/pydeclos/services/backend/post-start",
    ]
    for phase in ("pre-start", "start", "post-start"):
        script = backend / SCRIPTS / "backend" / phase
        assert script.stat().st_mode & 0o777 == 0o755
        assert script.read_text().startswith("#!/bin/bash\n")


def test_scripts_run_in_order_and_stop_at_the_first_failing_command(backend: Path,
                                                                    tmp_path: Path) -> None:
    """What systemd does with the three Exec lines, done by hand with the real bash."""
    env = {**os.environ, "OUT": str(tmp_path / "out"), "GREETING": "hi"}
    for phase, status in (("pre-start", 0), ("start", 1), ("post-start", 0)):
        done = subprocess.run([backend / SCRIPTS / "backend" / phase], env=env)
        assert done.returncode == status, phase
    assert (tmp_path / "out/log").read_text() == "pre\nstart hi\npost\n"


def test_typed_settings_are_written_as_systemd_reads_them(backend: Path) -> None:
    unit = (backend / UNITS / "backend.service").read_text().splitlines()
    for line in ["LimitNOFILE=65536", "MemoryDenyWriteExecute=yes", "RemainAfterExit=no",
                 "Nice=-5", "TimeoutStartSec=600", "RestartSec=5", "TimeoutStopSec=1min 30s",
                 "ReadWritePaths=/srv/app", "ReadWritePaths=/var/cache/app",
                 "StateDirectory=backend", "Restart=always",
                 'Environment="GREETING=say \\"hi\\" 100%% \\\\o/"',
                 'Environment="PORT=8080"']:
        assert line in unit, line


def test_path_installs_packages_and_puts_directories_first(backend: Path) -> None:
    unit = (backend / UNITS / "backend.service").read_text().splitlines()
    assert ('Environment="PATH=/opt/backend/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:'
            '/usr/bin:/sbin:/bin"') in unit
    assert "Packages=curl" in (backend / "mkosi.conf").read_text().splitlines()


def test_the_generated_unit_passes_systemd_analyze_verify(backend: Path, tmp_path: Path) -> None:
    assert validators.units(backend, tmp_path) is None


def test_systemd_analyze_verify_catches_what_a_wrong_value_would_do(backend: Path,
                                                                     tmp_path: Path) -> None:
    """The check above can fail: the same unit with a setting systemd cannot parse."""
    tools.need("systemd-analyze")
    unit = backend / UNITS / "backend.service"
    broken = tmp_path / "tree"
    subprocess.run(["cp", "-a", backend, broken], check=True)
    (broken / UNITS / "backend.service").write_text(
        unit.read_text().replace("RestartSec=5", "RestartSec=5 parsecs"))
    assert validators.units(broken, tmp_path / "scratch") is not None


def restart_trigger(tree: Path, unit: str) -> str:
    manifest = json.loads((tree / EXTRA / "usr/share/pydeclos/generation.json").read_text())
    return manifest["restart_triggers"][unit]


def test_a_changed_script_changes_the_unit_so_switch_restarts_it(tmp_path: Path) -> None:
    system = ('config = {"systemd": {"services": {"app": {"script": "echo %s"}}}}\n')
    one, two = lower(system % "one", tmp_path / "1"), lower(system % "two", tmp_path / "2")
    again = lower(system % "one", tmp_path / "3")
    assert restart_trigger(one, "app.service") != restart_trigger(two, "app.service")
    assert restart_trigger(one, "app.service") == restart_trigger(again, "app.service")
    assert (one / UNITS / "app.service").read_text() != (two / UNITS / "app.service").read_text()


def test_restart_triggers_follow_the_etc_file_they_name(tmp_path: Path) -> None:
    system = """\
        TEXT = "port = %s\\n"
        config = {"environment": {"etc": {"app.conf": {"text": TEXT}}},
                  "systemd": {"services": {"app": {"exec_start": ["/usr/bin/app"],
                                                   "restart_triggers": [TEXT]}}}}
    """
    one, two = lower(system % 1, tmp_path / "1"), lower(system % 2, tmp_path / "2")
    assert restart_trigger(one, "app.service") != restart_trigger(two, "app.service")


MISUSE = [
    pytest.param('"script": "exec /usr/bin/app", "exec_start": ["/usr/bin/app"]',
                 ["both `script` and `exec_start`"], id="script-and-exec-start"),
    pytest.param('"exec_start": ["/usr/bin/app"], "path": ["/opt/bin"], '
                 '"environment": {"PATH": "/bin"}', ["environment.PATH and `path`"],
                 id="path-twice"),
    pytest.param('"exec_start": ["/usr/bin/app"], "restart_sec": "5 parsecs"',
                 ["restart_sec", "time span"], id="bad-duration"),
    pytest.param('"exec_start": ["/usr/bin/app"], "restart_sec": -1',
                 ["restart_sec"], id="negative-duration"),
    pytest.param('"exec_start": ["/usr/bin/app"], "path": ["curl bash"]',
                 ["systemd.services.app.path"], id="path-two-words"),
    pytest.param('"exec_start": ["/usr/bin/app"], "service_config": {"Nice": 1.5}',
                 ["service_config"], id="float-setting"),
    pytest.param('"exec_start": ["/usr/bin/app"], "state_directory": ["../etc"]',
                 ["state_directory", "without '..'"], id="state-directory-escape"),
    pytest.param('"exec_start": ["/usr/bin/app"], "environment": {"A": "x\\ny"}',
                 ["environment"], id="environment-newline"),
    pytest.param('"exec_start": ["/usr/bin/app"], "environment": {"DEBUG": True}',
                 ["environment.DEBUG"], id="environment-bool"),
    pytest.param('"script": "true", "service_config": {"ExecStart": "/bin/true"}',
                 ["both `script` and `exec_start`"], id="script-and-raw-exec-start"),
]


@pytest.mark.parametrize("settings,words", MISUSE)
def test_service_misuse_names_the_users_line(settings: str, words: list[str],
                                              tmp_path: Path) -> None:
    output = refused('config = {"systemd": {"services": {"app": {\n'
                     f'    {settings}\n}}}}}}}}\n', tmp_path)
    assert "system.py:2" in output, output
    for word in words:
        assert word in output, output
