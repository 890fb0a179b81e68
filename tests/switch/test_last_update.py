"""The record of the last update from the update source, and `pydeclos status`'s line for it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pydeclos.switch import last_update
from pydeclos.switch.errors import CorruptArtifactError, NothingNewerError, SwitchError

SOURCE = "http://updates.example.org/web/"
# What activate.install raises when systemd-pull refuses an artifact (its output appended).
SYSUPDATE_REFUSAL = (
    "systemd-sysupdate could not install generation 2 (status 1); the running system is "
    "unchanged:\nAcquiring http://updates.example.org/web/swtest_2.efi...\n"
    "DOWNLOAD INVALID: Checksum of http://updates.example.org/web/swtest_2.efi file did not "
    "check out, file has been tampered with.\nFailed to run systemd-pull: Bad message")


def test_a_record_is_written_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "var/lib/pydeclos/last-update.json"
    when = datetime(2026, 12, 2, 11, 5, 7, tzinfo=UTC)
    last_update.write("installed", "activating by soft-reboot", 2, SOURCE, path, when)
    assert json.loads(path.read_text()) == {
        "time": "2026-12-02T11:05:07Z", "source": SOURCE, "generation": 2,
        "result": "installed", "reason": "activating by soft-reboot"}
    assert os.listdir(path.parent) == ["last-update.json"]  # no temporary file left behind
    assert last_update.render(last_update.read(path)) == (
        "last update: 2026-12-02T11:05:07Z installed generation 2: activating by soft-reboot")


def test_status_says_when_no_update_was_tried(tmp_path: Path) -> None:
    assert last_update.read(tmp_path / "last-update.json") is None
    assert last_update.render(None) == "last update: none tried from the update source"


@pytest.mark.parametrize(("error", "result", "reason"), [
    (CorruptArtifactError(f"{SOURCE} has no SHA256SUMS.gpg, and this machine installs only "
                          "signed updates"), "refused",
     f"{SOURCE} has no SHA256SUMS.gpg, and this machine installs only signed updates"),
    (SwitchError(SYSUPDATE_REFUSAL), "refused",
     "systemd-sysupdate could not install generation 2 (status 1); the running system is "
     "unchanged (DOWNLOAD INVALID: Checksum of http://updates.example.org/web/swtest_2.efi "
     "file did not check out, file has been tampered with.)"),
    (NothingNewerError("generation 2 is already running"), "nothing-newer",
     "generation 2 is already running"),
    (SwitchError(f"could not download {SOURCE}SHA256SUMS: timed out"), "failed",
     f"could not download {SOURCE}SHA256SUMS: timed out"),
])
def test_the_error_that_ends_a_run_is_recorded_in_one_line_and_still_raised(
        tmp_path: Path, error: SwitchError, result: str, reason: str) -> None:
    path = tmp_path / "last-update.json"
    with pytest.raises(type(error)), last_update.recorded(path) as attempt:
        attempt.generation = 2
        raise error
    record = last_update.read(path)
    assert record is not None
    assert (record["result"], record["reason"], record["generation"]) == (result, reason, 2)
    line = last_update.render(record)
    assert "\n" not in line and line.endswith(f" {result} generation 2: {reason}")


def test_a_signature_refused_while_planning_has_no_generation(tmp_path: Path) -> None:
    path = tmp_path / "last-update.json"
    gpg = ("SHA256SUMS.gpg of http://x/ does not verify against the key this image trusts "
           "(/usr/lib/systemd/import-pubring.gpg): it was signed by another key. Nothing was "
           "installed.\ngpg: Signature made Wed Dec  2 11:00:00 2026 UTC\n"
           "gpg:                using EDDSA key 0123\ngpg: Can't check signature: No public key")
    with pytest.raises(CorruptArtifactError), last_update.recorded(path):
        raise CorruptArtifactError(gpg)
    line = last_update.render(last_update.read(path))
    assert " refused: SHA256SUMS.gpg of http://x/ does not verify" in line
    assert line.endswith("(gpg: Can't check signature: No public key)")


@pytest.mark.needs_root
def test_switch_from_no_update_source_records_why_it_failed(tmp_path: Path, monkeypatch) -> None:
    """The real command, as root on this host (it declares no /usr/lib/pydeclos/updates.json)."""
    from click.testing import CliRunner

    from pydeclos.cli import main
    from pydeclos.switch import remote

    if os.geteuid() != 0:
        pytest.skip("switch refuses before anything else when not root")
    if remote.settings() is not None:
        pytest.skip("this host declares an update source")
    monkeypatch.setattr(last_update, "PATH", tmp_path / "last-update.json")
    result = CliRunner().invoke(main, ["switch", "--yes"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    record = last_update.read()
    assert record is not None and record["result"] == "failed"
    assert record["source"] == "(no update source)" and record["generation"] is None
    assert record["reason"].startswith("no --from given, and this image declares no update")
