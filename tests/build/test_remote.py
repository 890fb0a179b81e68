"""`pydeclos build --build-host` against a real sshd on loopback (tests/switch/sshd.py): each
failure as one line with nothing left behind on either side, the tree that goes over, and
one real build over ssh whose generation arrives here whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.build.pipeline import tree_digest
from pydeclos.build.remote import BUILD_PREFIX, BuildHostError, check_arrived, remote_script
from pydeclos.cli import main
from pydeclos.ssh import REMOTE_PARENT, Probe, Ssh, SshError, Target, require_root, send
from pydeclos.switch.source import open_output, verify
from tests.switch.sshd import Server, free_port, sshd

SYSTEMS = Path(__file__).resolve().parent.parent / "switch" / "systems"
VENV_PATH = f"{Path(sys.executable).parent}:/usr/bin:/bin:/usr/sbin:/sbin"


def build(host: Server | str, *args: str) -> tuple[int, str]:
    target = host if isinstance(host, str) else host.target
    options = ([] if isinstance(host, str)
               else [w for o in host.options for w in ("--ssh-option", o)])
    result = CliRunner().invoke(main, ["build", "--build-host", target, *options, *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def leftovers() -> set[str]:
    return {p.name for p in Path(REMOTE_PARENT).glob(BUILD_PREFIX + "*")}


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_an_unreachable_build_host_is_one_line_and_no_output(tmp_path: Path) -> None:
    code, output = build(f"root@127.0.0.1:{free_port()}", str(SYSTEMS / "v1.py"),
                         "-o", str(tmp_path / "out"))
    assert code == 1
    assert errors(output) == [line for line in output.splitlines() if "127.0.0.1" in line]
    assert "cannot reach 127.0.0.1 on port" in output and "Connection refused" in output
    assert not (tmp_path / "out").exists()


def test_a_mistake_in_the_system_file_shows_here_before_any_ssh(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text('imports = ["' + str(SYSTEMS / "common.py") + '"]\n'
                      'config = {"networking": {"hostnam": "x"}}\n')
    code, output = build(f"root@127.0.0.1:{free_port()}", str(broken),
                         "-o", str(tmp_path / "out"))
    assert code == 1 and "broken.py:2" in output and "hostnam" in output, output
    assert "cannot reach" not in output


def test_a_build_host_without_pydeclos(tmp_path: Path) -> None:
    before = leftovers()
    with sshd(tmp_path / "sshd", "/usr/bin:/bin") as server:
        code, output = build(server, str(SYSTEMS / "v1.py"), "-o", str(tmp_path / "out"))
    assert code == 1 and "has no `pydeclos` command" in output
    assert "install pydeclos and mkosi on the build host" in output
    assert leftovers() == before and not (tmp_path / "out").exists()


def test_a_key_the_build_host_does_not_accept(tmp_path: Path) -> None:
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        (tmp_path / "sshd" / "authorized").write_text("")
        code, output = build(server, str(SYSTEMS / "v1.py"), "-o", str(tmp_path / "out"))
    assert code == 1 and "ssh refused the login" in output
    assert "authorized keys on the build host" in output
    assert "--ssh-option IdentityFile=PATH" in output  # `build -o` is the output directory


def test_a_build_needs_root_or_sudo_there() -> None:
    ssh = Ssh(Target("builder", "alice"), role="build host")
    with pytest.raises(SshError, match=r"a build \(mkosi\) must run as root.*--sudo"):
        require_root(ssh, Probe(1000, sudo=True), False, "a build (mkosi)")
    with pytest.raises(SshError, match="asks alice@builder for a password"):
        require_root(ssh, Probe(1000, sudo=False), True, "a build (mkosi)")
    require_root(ssh, Probe(1000, sudo=True), True, "a build (mkosi)")


@pytest.mark.skipif(os.geteuid() == 0, reason="the loopback sshd logs in as the test's user")
def test_a_login_that_is_not_root_there(tmp_path: Path) -> None:
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        code, output = build(server, str(SYSTEMS / "v1.py"), "-o", str(tmp_path / "out"))
    assert code == 1 and "is not root on 127.0.0.1" in output and "--sudo" in output


def test_ssh_flags_without_a_build_host_are_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["build", str(SYSTEMS / "v1.py"), "--sudo"])
    assert result.exit_code == 2 and "go with --build-host" in result.output


def test_the_lowered_tree_arrives_unchanged(tmp_path: Path) -> None:
    """What the build host builds is the tree lowered here, file modes included."""
    tree = tmp_path / "tree"
    subprocess.run([Path(sys.executable).parent / "pydeclos", "lower", SYSTEMS / "v1.py",
                    "-o", tree], check=True, capture_output=True)
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        ssh = Ssh(Target.parse(server.target), tuple(server.options), role="build host")
        there = tmp_path / "there"
        there.mkdir()
        send(ssh, tree.parent, [tree.name], str(there))
    assert tree_digest(there / "tree") == tree_digest(tree)
    text = "\n".join(p.read_text(errors="replace") for p in tree.rglob("*") if p.is_file())
    assert str(tmp_path) not in text and "/work/" not in text  # nothing of this host named


def test_the_remote_build_session_cleans_up_and_stops_with_us(tmp_path: Path) -> None:
    """The session's shell, run here by sh with a stand-in for `pydeclos build` that waits:
    when its stdin ends (this side gone), the build gets SIGTERM and the directory goes."""
    directory = tmp_path / "pydeclos-build.x"
    (directory / "tree").mkdir(parents=True)
    fake = tmp_path / "pydeclos"
    fake.write_text(f"#!/bin/sh\ntrap 'echo stopped > {tmp_path}/said; exit 143' TERM\n"
                    f"echo running > {tmp_path}/said\nsleep 30 & wait\n")
    fake.chmod(0o755)
    script = remote_script(str(directory), "tree", 3, False, False)
    script = script.replace('"$(command -v pydeclos)"', str(fake))
    shell = subprocess.Popen(["sh", "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert shell.stdin is not None
    for _ in range(200):
        if (tmp_path / "said").is_file():  # the build runs (its SIGTERM handler is set)
            break
        time.sleep(0.05)
    shell.stdin.close()  # as when ssh goes
    assert shell.wait(timeout=20) == 143
    assert (tmp_path / "said").read_text() == "stopped\n"
    assert not directory.exists()


def test_a_damaged_generation_is_not_published(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "a.efi").write_bytes(b"uki")
    (stage / "SHA256SUMS").write_text("0" * 64 + "  a.efi\n")
    (stage / "generation.json").write_text(json.dumps({"version": 2, "image_id": "x"}))
    with pytest.raises(BuildHostError, match="a.efi from b does not match its SHA256SUMS"):
        check_arrived(stage, 2, "b")
    with pytest.raises(BuildHostError, match="built generation 2, not 3"):
        check_arrived(stage, 3, "b")


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_a_tree_mkosi_refuses_fails_there_in_one_line(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "mkosi.conf").write_text("[Output]\nImageId=bad\nNoSuchSetting=1\n")
    before = leftovers()
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        code, output = build(server, str(tree), "-o", str(tmp_path / "out"))
    assert code == 1
    last = errors(output)[-1]
    assert last.startswith("error: the build on 127.0.0.1 failed (exit 1): mkosi does not "
                           "accept the build tree"), output
    assert "Unknown setting NoSuchSetting" in last  # mkosi's reason, on the same line
    assert leftovers() == before and not (tmp_path / "out").exists()


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_a_generation_built_over_ssh_arrives_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "4").mkdir(parents=True)  # an older generation: the next one is 5
    before = leftovers()
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        code, output = build(server, str(SYSTEMS / "v1.py"), "-o", str(out))
    assert code == 0, output
    assert "==> build generation 5 on 127.0.0.1" in output
    assert "==> install packages" in output  # the build host's progress, streamed here
    assert "built v1 generation 5 in" in output and str(out / "5") in output
    generation = out / "5"
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=generation, check=True)
    verify(open_output(out))  # what `switch --from OUT` opens: the newest, 5
    manifest = json.loads((generation / "generation.json").read_text())
    assert manifest["version"] == 5 and manifest["image_id"] == "swtest"
    image = generation / manifest["artifacts"]["image"]
    assert image.stat().st_size > 100 * 2**20  # the disk image came too
    assert leftovers() == before  # the build host's directory is gone
    assert sorted(p.name for p in out.iterdir()) == ["4", "5"]  # no staging left


def running_in(directory: str) -> list[str]:
    """Command lines of the processes here that name `directory` (the remote build's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(directory in word for word in words):
            found.append(" ".join(words))
    return found


@pytest.mark.needs_root
@pytest.mark.needs_mkosi
def test_sigterm_here_stops_the_build_there(tmp_path: Path) -> None:
    """SIGTERM to `pydeclos build --build-host` once mkosi runs there: mkosi and the build
    on the build host stop, its directory goes, and no generation is written here."""
    out = tmp_path / "out"
    before = leftovers()
    with sshd(tmp_path / "sshd", VENV_PATH) as server:
        argv = [str(Path(sys.executable).parent / "pydeclos"), "build", str(SYSTEMS / "v1.py"),
                "-o", str(out), "--build-host", server.target,
                *[w for o in server.options for w in ("--ssh-option", o)]]
        build = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        assert build.stderr is not None
        said = []
        for line in build.stderr:
            said.append(line)
            if line.startswith("==> build generation 1 on"):
                break
        directory = said[-1].rsplit("(in ", 1)[-1].rstrip(")\n")
        assert directory.startswith(f"{REMOTE_PARENT}/{BUILD_PREFIX}"), said
        for _ in range(3000):  # until mkosi runs there (after the cache lock, if waited for)
            if any(word.endswith("/mkosi") for line in running_in(directory)
                   for word in line.split(" ")[:2]):  # /usr/bin/python3 /usr/bin/mkosi …
                break
            time.sleep(0.1)
        else:
            build.kill()
            pytest.fail("mkosi did not start on the build host: " + "".join(said))
        build.terminate()
        rest = build.stderr.read()
        assert build.wait(timeout=60) == 143, "".join(said) + rest
        assert "error: build stopped by SIGTERM" in rest
        for _ in range(600):
            if not running_in(directory) and leftovers() == before:
                break
            time.sleep(0.1)
    assert running_in(directory) == [] and leftovers() == before
    assert not out.exists()
