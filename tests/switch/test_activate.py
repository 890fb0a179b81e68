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
