"""`switch --target-host` against a real sshd on loopback (tests/switch/sshd.py): the ssh
command built, the copy, the remote's output and exit code, and each failure as one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.ssh import (
    REMOTE_PARENT,
    Probe,
    Ssh,
    SshError,
    Streamed,
    Target,
    make_directory,
    ssh_from,
    stream,
)
from pydeclos.switch.errors import SwitchError
from pydeclos.switch.source import open_output, verify
from pydeclos.switch.target_host import (
    ACTIVATING,
    REMOTE_PREFIX,
    Request,
    check_root,
    copy,
    outcome,
)
from tests.switch.sshd import Server, free_port, sshd
from tests.switch.test_source import generation

VENV_PATH = f"{Path(sys.executable).parent}:/usr/bin:/bin:/usr/sbin:/sbin"


def switch(server: Server | str, *args: str) -> tuple[int, str]:
    target = server if isinstance(server, str) else server.target
    options = [] if isinstance(server, str) else [w for o in server.options for w in ("-o", o)]
    result = CliRunner().invoke(main, ["switch", "--target-host", target, *options, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def leftovers() -> set[str]:
    return {p.name for p in Path(REMOTE_PARENT).glob(REMOTE_PREFIX + "*")}


@pytest.mark.parametrize(("text", "target"), [
    ("host", Target("host")),
    ("root@host.example", Target("host.example", "root")),
    ("root@127.0.0.1:2222", Target("127.0.0.1", "root", 2222)),
    ("admin@[::1]:2200", Target("::1", "admin", 2200)),
    ("[fe80::1]", Target("fe80::1")),
])
def test_target_forms(text: str, target: Target) -> None:
    assert Target.parse(text) == target


@pytest.mark.parametrize("text", ["root@host:0", "root@host:ssh", "-oProxyCommand=x", "@"])
def test_a_bad_target_is_named(text: str) -> None:
    with pytest.raises(SshError, match="--target-host"):
        Target.parse(text)


def test_the_ssh_command_takes_the_port_options_and_environment() -> None:
    ssh = ssh_from("root@127.0.0.1:2222", ["IdentityFile=/k"],
                   {"PYDECLOS_SSH_OPTS": "-F /dev/null -o 'IdentitiesOnly yes'"})
    assert ssh.argv("id") == ["ssh", "-F", "/dev/null", "-o", "IdentitiesOnly yes",
                              "-o", "IdentityFile=/k", "-p", "2222", "--", "root@127.0.0.1", "id"]


def test_the_remote_command_passes_the_flags_and_removes_the_copy(tmp_path: Path) -> None:
    copied = tmp_path / "pydeclos-target.a b"
    copied.mkdir()
    command = Request(as_json=True, method="soft-reboot", yes=True, sudo=True).command(str(copied))
    trap, _, line = command.partition("; ")
    assert line == (f"sudo -n pydeclos switch --from '{copied}' --method soft-reboot --json --yes")
    subprocess.run(["sh", "-c", f"{trap}; true"], check=True)
    assert not copied.exists()
    assert Request().command(None) == "pydeclos switch --method auto"


def test_an_unreachable_host_is_one_line_with_a_fix(tmp_path: Path) -> None:
    code, output = switch(f"root@127.0.0.1:{free_port()}", "--from",
                          str(generation(tmp_path)), "--yes")
    assert code == 1
    assert "error: cannot reach 127.0.0.1 on port" in output and "Connection refused" in output
    assert "sshd running" in output and len(output.strip().splitlines()) == 1


def test_a_damaged_generation_is_refused_before_connecting(tmp_path: Path) -> None:
    gen = generation(tmp_path)
    (gen / "img_3.efi").write_bytes(b"changed")
    code, output = switch(f"root@127.0.0.1:{free_port()}", "--from", str(gen), "--yes")
    assert code == 1 and "does not match" in output and "cannot reach" not in output


def test_a_key_the_target_does_not_accept(tmp_path: Path) -> None:
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        (tmp_path / "sshd" / "authorized").write_text("")
        code, output = switch(server, "--from", str(generation(tmp_path)), "--yes")
    assert code == 1
    assert "ssh refused the login" in output and "Permission denied" in output
    assert "ssh_authorized_keys" in output


def test_an_unknown_host_key(tmp_path: Path) -> None:
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        server.known_hosts.write_text("")
        code, output = switch(server, "--from", str(generation(tmp_path)), "--yes")
    assert code == 1 and "does not trust 127.0.0.1's host key" in output


def test_a_target_without_pydeclos(tmp_path: Path) -> None:
    before = leftovers()
    with sshd(tmp_path / "sshd", "/usr/bin:/bin") as server:
        code, output = switch(server, "--from", str(generation(tmp_path)), "--yes")
    assert code == 1 and "has no `pydeclos` command" in output
    assert leftovers() == before  # refused before anything was copied


def test_a_copy_left_from_before_the_boot_is_swept_a_newer_one_kept(tmp_path: Path) -> None:
    """A copy cut short by a power loss would fill a small /var for good: the next copy
    removes the target's directories older than its boot, not those of running commands."""
    booted = time.time() - float(Path("/proc/uptime").read_text().split()[0])
    stale = Path(REMOTE_PARENT) / f"{REMOTE_PREFIX}stale0"
    fresh = Path(REMOTE_PARENT) / f"{REMOTE_PREFIX}fresh0"
    for path in (stale, fresh):
        path.mkdir()
        (path / "pydeclos_2.efi").write_bytes(b"part of a copy")
    os.utime(stale, (booted - 60, booted - 60))
    try:
        with sshd(tmp_path / "sshd", VENV_PATH) as server:
            ssh = Ssh(Target.parse(server.target), tuple(server.options))
            made = Path(make_directory(ssh, REMOTE_PREFIX))
        made.rmdir()
        assert not stale.exists() and fresh.is_dir()
    finally:
        os.system(f"rm -rf '{stale}' '{fresh}'")


def test_only_the_generation_files_are_copied(tmp_path: Path) -> None:
    gen = generation(tmp_path)
    (gen / "swtest_3.raw").write_bytes(b"a disk image the target does not need")
    output = open_output(gen)
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        ssh = Ssh(Target.parse(server.target), tuple(server.options))
        directory = Path(make_directory(ssh, REMOTE_PREFIX))
        try:
            copy(ssh, output, directory.as_posix())
            copied = {p.name: p.read_bytes() for p in directory.iterdir()}
        finally:
            os.system(f"rm -rf '{directory}'")
    assert copied == {p.name: p.read_bytes() for p in gen.iterdir() if p.name != "swtest_3.raw"}


def test_the_remote_output_and_exit_code_are_ours(tmp_path: Path) -> None:
    """This host is no pydeclos machine: the remote switch refuses, and says so here."""
    before = leftovers()
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        code, output = switch(server, "--from", str(generation(tmp_path)), "--dry-run")
    assert code == 1, output
    assert "error: /usr/share/pydeclos/generation.json is missing" in output, output
    assert leftovers() == before  # the copy is removed when the remote command ends


def test_a_connection_dropped_while_activating_is_success(tmp_path: Path, capsys) -> None:
    ssh = Ssh(Target("host"))
    code, seen = stream(["sh", "-c", "echo 'activating generation 2 by soft-reboot…'; "
                                     "echo gone >&2; kill -9 $$"],
                        watch=lambda line: bool(ACTIVATING.search(line)))
    assert seen.activating and code == -9
    assert outcome(ssh, code, seen) == 0
    assert "activating generation 2" in capsys.readouterr().out
    assert outcome(ssh, 255, Streamed(True)) == 0
    with pytest.raises(SwitchError, match="did not report back"):
        outcome(ssh, 255, Streamed(False, ["Connection reset by peer\n"]))
    assert outcome(ssh, 3, Streamed(True)) == 3  # the remote's own failure stays one


def test_a_switch_needs_root_or_sudo_on_the_target() -> None:
    ssh = Ssh(Target("host", "alice"))
    with pytest.raises(SshError, match="a switch must run as root: use root@HOST, or pass "
                                       "--sudo"):
        check_root(ssh, Probe(1000, sudo=True), Request())
    with pytest.raises(SshError, match="asks alice@host for a password"):
        check_root(ssh, Probe(1000, sudo=False), Request(sudo=True))
    check_root(ssh, Probe(1000, sudo=False), Request(dry_run=True))  # the plan needs no root
    check_root(ssh, Probe(0, sudo=False), Request())


def test_ssh_flags_without_a_target_are_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["switch", "--from", str(generation(tmp_path)), "--sudo"])
    assert result.exit_code == 2 and "go with --target-host" in result.output


def test_stage_only_and_if_newer_go_to_the_remote_switch() -> None:
    command = Request(yes=True, stage_only=True, if_newer=True).command("/var/tmp/x")
    assert command.endswith("pydeclos switch --from /var/tmp/x --method auto --yes "
                            "--stage-only --if-newer")
    assert Request(yes=True, if_newer=True).command(None) == ("pydeclos switch --method auto "
                                                               "--yes --if-newer")


def test_the_remote_pydeclos_receives_stage_only_and_if_newer(tmp_path: Path) -> None:
    """The real pydeclos runs there, behind a wrapper that notes the arguments it got; it
    refuses (this host is no pydeclos machine) for that reason, not for the flags."""
    wrapper, said = tmp_path / "bin", tmp_path / "argv"
    wrapper.mkdir()
    (wrapper / "pydeclos").write_text(f'#!/bin/sh\necho "$@" >> {said}\n'
                                      f'exec {Path(sys.executable).parent}/pydeclos "$@"\n')
    (wrapper / "pydeclos").chmod(0o755)
    with sshd(tmp_path / "sshd", f"{wrapper}:{VENV_PATH}") as server:
        code, output = switch(server, "--from", str(generation(tmp_path)), "--yes",
                              "--stage-only", "--if-newer")
    assert code == 1 and "generation.json is missing" in output, output
    words = said.read_text().split()
    assert words[:2] == ["switch", "--from"]
    assert words[2].startswith(f"{REMOTE_PARENT}/{REMOTE_PREFIX}")
    assert words[3:] == ["--method", "auto", "--yes", "--stage-only", "--if-newer"]


def test_build_host_goes_with_a_target_and_a_system_file(tmp_path: Path) -> None:
    gen = generation(tmp_path)
    alone = CliRunner().invoke(main, ["switch", "--from", str(gen), "--build-host", "b"])
    assert alone.exit_code == 2 and "pydeclos build SYSTEM --build-host HOST" in alone.output
    code, output = switch(f"root@127.0.0.1:{free_port()}", "--build-host", "b", "--from",
                          str(gen), "--yes")
    assert code == 2 and "--build-host needs --from SYSTEM" in output


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_build_host_and_target_host_in_one_command(tmp_path: Path, monkeypatch) -> None:
    """The system is built over ssh into out/<name>/ here, then that generation is the one
    the target is asked to plan (this host is no pydeclos machine, so the plan refuses)."""
    monkeypatch.chdir(tmp_path)
    system = Path(__file__).resolve().parent / "systems" / "v1.py"
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        code, output = switch(server, "--build-host", server.target, "--from", str(system),
                              "--dry-run")
    print(output)
    assert f"built generation 1 on {server.target}: {tmp_path / 'out' / 'v1' / '1'}" in output
    assert code == 1 and "error: /usr/share/pydeclos/generation.json is missing" in output
    verify(open_output(tmp_path / "out" / "v1"))
