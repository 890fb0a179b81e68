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
    # A disk with an empty GPT: the firmware finds nothing to boot and never reaches the
    # command.
    blank = tmp_path / "blank.raw"
    with blank.open("wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run(["sfdisk", "--quiet", str(blank)], input="label: gpt\n", text=True,
                   check=True)
    result = CliRunner().invoke(main, ["vm", str(blank), "--timeout", "20", "--exec", "true"])
    assert result.exit_code == 1, result.output
    assert "did not finish booting and running the command within 20 s" in result.output
    assert "last console lines:" in result.output
    assert "--timeout" in result.output
    assert "Traceback" not in result.output
