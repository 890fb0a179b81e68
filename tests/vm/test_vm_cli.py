"""`pydeclos vm` without a built system: what it boots, how it ends a hung boot."""

from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.vm.guest_exec import exec_unit, parse_report, smbios_credentials
from pydeclos.vm.qemu import ConsoleWatch


def blank_gpt_disk(directory: Path) -> Path:
    """A disk with an empty GPT: the firmware finds nothing to boot and never reaches the
    command."""
    blank = directory / "blank.raw"
    with blank.open("wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run(["sfdisk", "--quiet", str(blank)], input="label: gpt\n", text=True,
                   check=True)
    return blank


def test_report_survives_tty_newlines_and_binary_output() -> None:
    stdout = "line one\n\x00\x1b[31mred\n"
    raw = (
        "noise before\r\n"
        "PYDECLOS-EXEC STATE degraded\r\n"
        f"PYDECLOS-EXEC STDOUT {base64.b64encode(stdout.encode()).decode()}\r\n"
        "PYDECLOS-EXEC STDERR \r\n"
        "PYDECLOS-EXEC STATUS 42\r\n"
    )
    report = parse_report(raw)
    assert report is not None
    assert (report.status, report.stdout, report.stderr, report.system_state) == (
        42, stdout, "", "degraded")
    assert parse_report(raw.split("PYDECLOS-EXEC STATUS")[0]) is None  # not finished yet


def test_a_panic_is_noticed_even_when_it_arrives_in_pieces(tmp_path: Path) -> None:
    console = tmp_path / "console.log"
    watch = ConsoleWatch(console)
    assert not watch.poll()  # no console yet
    # The line CI's guest printed when qemu's multi-threaded TCG broke its code patching.
    pieces = [b"[    3.565599] CPU: 0 UID: 0 PID: 0 Comm: swapper/0\r\n[    3.565679] Kernel pa",
              b"nic - not sync", b"ing: Fatal exception in interrupt\r\n"]
    for piece in pieces[:-1]:
        with console.open("ab") as handle:
            handle.write(piece)
        assert not watch.poll()
    with console.open("ab") as handle:
        handle.write(pieces[-1])
    assert watch.poll()


def test_pid_1_crashing_counts_as_the_emulators_fault_a_missing_init_does_not(
        tmp_path: Path) -> None:
    crashed = tmp_path / "crashed.log"
    crashed.write_bytes(b"[  137.1] Kernel panic - not syncing: Attempted to kill init! "
                        b"exitcode=0x0000000b\r\n")
    watch = ConsoleWatch(crashed)
    assert watch.poll() and watch.emulator_fault
    # tests/vm/test_minimal.py's deliberate panic: the image's own fault, not retried.
    missing = tmp_path / "missing.log"
    missing.write_bytes(b"[    2.9] Kernel panic - not syncing: VFS: Unable to mount root fs "
                        b"on unknown-block(0,0)\r\n")
    watch = ConsoleWatch(missing)
    assert watch.poll() and not watch.emulator_fault


def test_a_console_without_a_panic_is_not_one(tmp_path: Path) -> None:
    console = tmp_path / "console.log"
    console.write_bytes(b"[  OK  ] Reached target multi-user.target\r\nkernel: panic=0\r\n")
    assert not ConsoleWatch(console).poll()


def test_a_reset_followed_by_silence_is_a_stall_and_a_reset_that_boots_is_not(
        tmp_path: Path) -> None:
    from pydeclos.vm.qemu import RESTART_STALL_SECONDS

    console = tmp_path / "console.log"
    now = [0.0]
    watch = ConsoleWatch(console, clock=lambda: now[0])
    # The last lines CI's guest printed before qemu sat in the firmware for 45 minutes.
    console.write_bytes(b"[   63.359460] systemd-shutdown[1]: Rebooting.\r\n"
                        b"[   63.367826] reboot: Restarting system\r\n"
                        b"[   63.368051] reboot: machine ")
    watch.poll()
    with console.open("ab") as handle:
        handle.write(b"restart\r\n")
    watch.poll()
    now[0] = RESTART_STALL_SECONDS - 1
    watch.poll()
    assert not watch.stalled_after_restart()  # firmware under TCG takes its time
    now[0] = RESTART_STALL_SECONDS + 1
    watch.poll()
    assert watch.stalled_after_restart()

    with console.open("ab") as handle:  # the boot loader's terminal probe: it came back
        handle.write(b"\x1b[!p\x1b]104\x07\x1b[?7h\x1b[6n")
    watch.poll()
    now[0] += 10 * RESTART_STALL_SECONDS
    assert not watch.stalled_after_restart()  # silence after a boot is a command running


def test_a_reboot_and_sysrqs_reset_are_resets_and_a_power_off_is_not(tmp_path: Path) -> None:
    """What a --persist run reads when qemu (-no-reboot) exits: start it again or not."""
    endings = {b"[  299.722786] reboot: machine restart\r\n": True,
               b"[  131.618284] sysrq: Resetting\r\n": True,
               b"[  120.100000] reboot: Power down\r\n": False,
               b"[  131.618284] sysrq: Resetting\r\n[    0.000000] Linux version 6.12\r\n": False}
    for number, (ending, reset) in enumerate(endings.items()):
        console = tmp_path / f"console-{number}.log"
        console.write_bytes(b"[   63.0] systemd-shutdown[1]: Syncing filesystems.\r\n" + ending)
        watch = ConsoleWatch(console)
        watch.poll()
        assert watch.reset is reset, ending


def test_a_quiet_guest_without_a_reset_is_not_a_stall(tmp_path: Path) -> None:
    console = tmp_path / "console.log"
    now = [0.0]
    watch = ConsoleWatch(console, clock=lambda: now[0])
    console.write_bytes(b"swtest login: \r\n")
    watch.poll()
    now[0] = 3600.0
    watch.poll()
    assert not watch.stalled_after_restart()


def test_only_the_emulators_fault_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydeclos.vm import qemu
    from pydeclos.vm.errors import GuestPanicError

    image = tmp_path / "disk.raw"
    image.write_bytes(b"\0" * 512 + b"EFI PART" + b"\0" * 4096)
    runs: list[bool] = []

    def panics_once(emulator_fault: bool):
        def run(*args, **kwargs):
            runs.append(emulator_fault)
            if len(runs) == 1:
                raise GuestPanicError("panicked", ["Oops"], emulator_fault=emulator_fault)
            return "booted"
        return run

    warnings: list[str] = []
    monkeypatch.setattr(qemu, "_run_exec_once", panics_once(True))
    assert qemu.run_exec(image, "true", qemu.VmOptions(), 10, warn=warnings.append) == "booted"
    assert len(runs) == 2 and "Oops: int3" in warnings[0]

    runs.clear()
    monkeypatch.setattr(qemu, "_run_exec_once", panics_once(False))
    with pytest.raises(GuestPanicError):
        qemu.run_exec(image, "true", qemu.VmOptions(), 10, warn=warnings.append)
    assert len(runs) == 1  # a panic of the image itself is the answer, not retried


def test_a_stall_after_a_reset_is_retried_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from pydeclos.vm import qemu
    from pydeclos.vm.errors import FirmwareStallError

    image = tmp_path / "disk.raw"
    image.write_bytes(b"\0" * 512 + b"EFI PART" + b"\0" * 4096)
    runs: list[int] = []

    def stalls(times: int):
        def run(*args, **kwargs):
            runs.append(1)
            if len(runs) <= times:
                raise FirmwareStallError("restarted and printed nothing", ["reboot: machine restart"])
            return "booted"
        return run

    warnings: list[str] = []
    monkeypatch.setattr(qemu, "_run_exec_once", stalls(1))
    assert qemu.run_exec(image, "true", qemu.VmOptions(), 10, warn=warnings.append) == "booted"
    assert len(runs) == 2 and "stayed silent" in warnings[0]

    runs.clear()
    monkeypatch.setattr(qemu, "_run_exec_once", stalls(2))
    with pytest.raises(FirmwareStallError):  # twice in a row: the answer, not retried again
        qemu.run_exec(image, "true", qemu.VmOptions(), 10, warn=warnings.append)
    assert len(runs) == 2


@pytest.mark.vm
def test_an_earlier_runs_panic_in_the_console_log_is_not_this_runs(tmp_path: Path) -> None:
    # A retried run writes the same --console-log file: the first run's panic must not end
    # the second before qemu has even started.
    blank = blank_gpt_disk(tmp_path)
    log = tmp_path / "console.log"
    log.write_text("[    3.565679] Kernel panic - not syncing: Fatal exception in interrupt\n")
    result = CliRunner().invoke(main, ["vm", str(blank), "--timeout", "10", "--exec", "true",
                                       "--console-log", str(log)])
    assert result.exit_code == 1, result.output
    assert "did not finish booting and running the command within 10 s" in result.output
    assert "Kernel panic" not in log.read_text()


def test_credentials_carry_the_command_as_a_unit_qemu_accepts() -> None:
    command = "echo 'a, b' \"$HOME\" %s 100%"
    entries = smbios_credentials(command)
    # qemu splits -smbios on commas: the values must contain none.
    assert all("," not in entry.split("value=", 1)[1] for entry in entries)
    unit = exec_unit(command)
    encoded = unit.split("printf %%s ", 1)[1].split(" ", 1)[0]
    script = base64.b64decode(encoded).decode()
    assert base64.b64encode(command.encode()).decode() in script


def not_an_image(target: Path, *phrases: str) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["vm", str(target), "--exec", "true", "--timeout", "600"])
    assert time.monotonic() - started < 10, "it booted instead of refusing"
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "not a disk image" in result.output or "is empty" in result.output, result.output
    for phrase in (*phrases, "pydeclos build"):
        assert phrase in result.output, result.output


def test_a_text_file_is_not_booted(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("remember the milk\n" * 100)
    not_an_image(notes, "is a text file, not a disk image")


def test_an_empty_file_is_not_booted(tmp_path: Path) -> None:
    empty = tmp_path / "disk.raw"
    empty.touch()
    not_an_image(empty, "is empty")


def test_a_file_without_a_partition_table_is_not_booted(tmp_path: Path) -> None:
    blank = tmp_path / "zeros.raw"
    with blank.open("wb") as handle:
        handle.truncate(64 << 20)
    not_an_image(blank, "without a GPT partition table")


def test_a_generation_whose_image_is_missing_is_explained(tmp_path: Path) -> None:
    generation = tmp_path / "out" / "1"
    generation.mkdir(parents=True)
    (generation / "generation.json").write_text('{"artifacts": {"image": "gone.raw"}}')
    not_an_image(tmp_path / "out", "gone.raw")


def test_missing_image_directory_is_explained(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["vm", str(tmp_path), "--exec", "true"])
    assert result.exit_code == 1
    assert "holds no pydeclos build" in result.output
    assert "Traceback" not in result.output


@pytest.mark.vm
def test_a_boot_that_hangs_ends_at_the_timeout_with_the_console_tail(tmp_path: Path) -> None:
    blank = blank_gpt_disk(tmp_path)
    result = CliRunner().invoke(main, ["vm", str(blank), "--timeout", "20", "--exec", "true"])
    assert result.exit_code == 1, result.output
    assert "did not finish booting and running the command within 20 s" in result.output
    assert "last console lines:" in result.output
    assert "--timeout" in result.output
    assert "Traceback" not in result.output
