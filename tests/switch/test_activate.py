"""Activation: once a soft-reboot or kexec is asked for, being stopped by it is success."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, signal, sys
from pydeclos.switch.activate import stopped_means_done
stopped_means_done()
print("activating generation 2 by soft-reboot…", flush=True)
os.kill(os.getpid(), signal.SIGTERM)  # what systemd sends the unit when it stops it
signal.pause()
"""


def test_sigterm_after_asking_for_the_activation_exits_0() -> None:
    """A Type=oneshot pydeclos-update.service killed by SIGTERM would count as failed."""
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "activating generation 2 by soft-reboot…\n"


def test_a_generation_switched_to_again_gets_the_configured_tries(tmp_path, monkeypatch) -> None:
    """A rollback leaves the generation's UKI with no tries; switching to it again gives it
    as many as a fresh install would (the UKI transfer's TriesLeft=, image.updates.boot_tries),
    not a fixed 3."""
    from pydeclos.switch import activate, machine

    usr, local = tmp_path / "sysupdate.d", tmp_path / "pydeclos-sysupdate.d"
    usr.mkdir()
    monkeypatch.setattr(activate, "TRANSFER_DIRS", (usr, local))
    assert activate.boot_tries() == 3  # nothing configured: systemd's usual 3
    (usr / "10-usr.transfer").write_text("[Target]\nTriesLeft=7\n")  # not the UKI's
    (usr / "90-uki.transfer").write_text("[Target]\nMode=0444\nTriesLeft=1\nTriesDone=0\n")
    assert activate.boot_tries() == 1

    esp = tmp_path / "esp"
    esp.mkdir()
    bad = esp / "img_3+0-1.efi"
    bad.touch()
    entry = type("Entry", (), {"version": 3, "state": "bad", "path": bad})()
    monkeypatch.setattr(machine, "boot_entries", lambda image_id: [entry])
    activate.retry(3, "img")
    assert [p.name for p in esp.iterdir()] == ["img_3+1-0.efi"]
