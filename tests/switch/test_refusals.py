"""Refusals that leave the machine untouched: a second switch at once, downgrades, other images."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from pydeclos.switch import activate, machine
from pydeclos.switch.description import Description
from pydeclos.switch.errors import BusyError, NothingNewerError, RefusedError
from pydeclos.switch.switch import check_not_rolled_back, check_target


def gen(version: int, image_id: str = "img") -> Description:
    return Description(image_id, version, f"OUT/{version}")


def test_a_second_switch_at_the_same_time_is_refused(tmp_path: Path, monkeypatch) -> None:
    lock = tmp_path / "switch.lock"
    monkeypatch.setattr(activate, "LOCK", lock)
    with lock.open("a+") as other:  # another process's switch holds the lock
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BusyError, match="another `pydeclos switch` or `rollback` is running"):
            with activate.exclusive():
                pytest.fail("entered while another switch held the lock")
    with activate.exclusive():  # released: the next one goes ahead
        pass


def test_downgrade_other_image_and_same_version_are_refused() -> None:
    with pytest.raises(RefusedError, match="older than the running 3.*rollback.*--allow-downgrade"):
        check_target(gen(3), gen(2), allow_downgrade=False, allow_other_image=False)
    check_target(gen(3), gen(2), allow_downgrade=True, allow_other_image=False)
    with pytest.raises(RefusedError, match="image 'web'.*--allow-other-image"):
        check_target(gen(1), gen(2, "web"), allow_downgrade=False, allow_other_image=False)
    with pytest.raises(RefusedError, match="already running"):
        check_target(gen(2), gen(2), allow_downgrade=False, allow_other_image=False)


def test_nothing_newer_is_told_apart_for_timers() -> None:
    """`switch --if-newer` (pydeclos-update.service) exits 0 on these, not on other refusals."""
    for running, published in ((2, 2), (3, 2)):
        with pytest.raises(NothingNewerError):
            check_target(gen(running), gen(published), allow_downgrade=False,
                         allow_other_image=False)
    with pytest.raises(RefusedError) as refused:
        check_target(gen(1), gen(2, "web"), allow_downgrade=False, allow_other_image=False)
    assert not isinstance(refused.value, NothingNewerError)


def test_a_timer_does_not_go_back_to_a_generation_rolled_back_from(
        tmp_path: Path, monkeypatch) -> None:
    """Else a failing generation would be switched to, reverted, and switched to again."""
    esp = tmp_path / "EFI/Linux"
    esp.mkdir(parents=True)
    monkeypatch.setattr(machine, "esp_linux_dir", lambda: esp)
    (esp / "img_1.efi").touch()
    (esp / "img_2+3-0.efi").touch()
    check_not_rolled_back(gen(2))  # counting: never judged bad
    (esp / "img_2+3-0.efi").rename(esp / "img_2+0-1.efi")  # as `rollback` marks it
    with pytest.raises(NothingNewerError, match="generation 2 was rolled back from"):
        check_not_rolled_back(gen(2))


def test_switch_without_root_says_so(tmp_path: Path) -> None:
    import os

    from click.testing import CliRunner

    from pydeclos.cli import main
    from tests.conftest import unprivileged

    if os.geteuid() != 0:
        result = CliRunner().invoke(main, ["switch", "--from", str(tmp_path), "--yes"])
    else:
        with unprivileged():
            result = CliRunner().invoke(main, ["switch", "--from", str(tmp_path), "--yes"])
    assert result.exit_code == 1
    assert "must run as root" in result.output and "Traceback" not in result.output
