"""The VM's network card: qemu takes the option, forwards listen on the host's loopback only,
and the relay a guest's connection to a host service goes through works."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.vm.qemu import PortForward, VmOptions, network_card, qemu_binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def paused_qemu(options: VmOptions) -> Iterator[subprocess.Popen[bytes]]:
    """qemu with the card, stopped before the first instruction (-S): the network exists."""
    argv = [qemu_binary(), "-machine", "q35", "-accel", "tcg", "-nodefaults", "-display",
            "none", "-monitor", "none", "-S", *network_card(options)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_qemu_accepts_the_card_and_listens_for_a_forward_on_loopback_only() -> None:
    port = free_port()
    options = VmOptions(forwards=[PortForward(port, 22)], host_services=[PortForward(1, 80)])
    with paused_qemu(options) as process:
        for _ in range(100):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", port), timeout=1):
                break
            threading.Event().wait(0.1)
        else:
            pytest.fail("qemu does not listen on the forwarded port")
        listening = subprocess.run(["ss", "-Htln", f"sport = :{port}"], capture_output=True,
                                   text=True, check=True).stdout
        local = [line.split()[3] for line in listening.splitlines()]
        assert local == [f"127.0.0.1:{port}"]


def test_the_card_is_restricted_and_names_only_what_was_asked() -> None:
    spec = network_card(VmOptions(forwards=[PortForward(8022, 22)]))[1].split(",")
    assert "restrict=on" in spec
    assert [item for item in spec if "fwd=" in item] == ["hostfwd=tcp:127.0.0.1:8022-:22"]


def test_relay_carries_a_connection_both_ways() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                request = connection.recv(100)
                connection.sendall(b"echo:" + request)

        threading.Thread(target=answer, daemon=True).start()
        relay = subprocess.run([sys.executable, "-m", "pydeclos.vm.relay", str(port)],
                               input=b"hello", capture_output=True, timeout=30)
    assert relay.stdout == b"echo:hello"


@pytest.mark.parametrize(("value", "phrase"), [
    ("22", "is not HOSTPORT:GUESTPORT"),
    ("ssh:22", "is not HOSTPORT:GUESTPORT"),
    ("70000:22", "port 70000 is not between 1 and 65535"),
])
def test_a_bad_forward_is_a_usage_error(tmp_path: Path, value: str, phrase: str) -> None:
    result = CliRunner().invoke(main, ["vm", str(tmp_path), "--forward", value])
    assert result.exit_code == 2, result.output
    assert phrase in result.output and "--forward" in result.output
    assert "Traceback" not in result.output


def test_a_host_port_forwarded_twice_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["vm", str(tmp_path), "--forward", "2222:22", "--forward", "2222:80"])
    assert result.exit_code == 2
    assert "host port 2222 is forwarded twice" in result.output


def test_kernel_args_go_to_systemd_stub_through_smbios_with_commas_escaped() -> None:
    from pydeclos.vm.qemu import kernel_cmdline_extra

    assert kernel_cmdline_extra([]) == []
    assert kernel_cmdline_extra(["quiet", "a=b,c"]) == [
        "-smbios", "type=11,value=io.systemd.stub.kernel-cmdline-extra=quiet a=b,,c"]


def test_every_vm_boot_skips_the_boot_loaders_random_seed_and_adds_the_users_args(
        tmp_path: Path) -> None:
    from pydeclos.vm.firmware import Firmware
    from pydeclos.vm.qemu import qemu_command

    firmware = Firmware(tmp_path / "code.fd", tmp_path / "vars.fd")
    argv = qemu_command(tmp_path / "disk.raw", VmOptions(kernel_args=["quiet"]), firmware,
                        tmp_path / "vars.fd", ["file:/dev/null"], [])
    extra = [argv[i + 1] for i, word in enumerate(argv) if word == "-smbios"]
    assert extra == ["type=11,value=io.systemd.stub.kernel-cmdline-extra="
                     "systemd.mask=systemd-boot-random-seed.service "
                     "systemd.default_device_timeout_sec=600 "
                     "systemd.default_timeout_start_sec=600 quiet"]


@pytest.mark.parametrize("value", ["two words", "a'b", ""])
def test_a_bad_kernel_arg_is_a_usage_error(tmp_path: Path, value: str) -> None:
    image = tmp_path / "disk.raw"
    image.write_bytes(b"")
    result = CliRunner().invoke(main, ["vm", str(image), "--kernel-arg", value, "--exec", "true"])
    assert result.exit_code == 2, result.output
    assert "--kernel-arg" in result.output and "not one kernel argument" in result.output
