"""Is this machine able to build images? Root, mkosi >= 24 and the tools mkosi calls.

Checked before anything is written, so a missing tool costs a second, not a half build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydeclos.build.errors import SETUP_HINT, HostToolsMissingError, NotRootError

# mkosi and the tools it runs come first from the system directories, so that a Python
# from pyenv or a venv earlier in PATH does not shadow the one ukify needs (with pefile).
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# tool -> why the build needs it
REQUIRED_TOOLS: dict[str, str] = {
    "systemd-repart": "partitions and dm-verity",
    "bootctl": "installs systemd-boot",
    "mkfs.erofs": "the /usr filesystem",
    "mkfs.vfat": "the ESP",
    "mcopy": "files onto the ESP",
    "mkfs.ext4": "the root filesystem",
    "cpio": "the initrd",
    "zstd": "the initrd",
    "apt-get": "installing Debian packages",
}
UKIFY_CANDIDATES = ("ukify", "/usr/lib/systemd/ukify")
MIN_MKOSI = 24
MIN_SYSTEMD = 254


@dataclass(frozen=True)
class HostTools:
    """The mkosi that will run and its version, plus the PATH to run it with."""

    mkosi: str
    mkosi_version: int
    path: str


def tool_path() -> str:
    return SYSTEM_PATH + ":" + os.environ.get("PATH", "")


def require_root() -> None:
    if os.geteuid() != 0:
        raise NotRootError(
            "pydeclos build runs mkosi, which needs root to build disk images: run it as root "
            "(e.g. `sudo pydeclos build ...`). `pydeclos lower` writes the build tree without root."
        )


def _major_version(command: list[str], path: str) -> int | None:
    try:
        output = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "PATH": path}, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None


def check_host_tools() -> HostTools:
    """Find mkosi (or $PYDECLOS_MKOSI) and every tool it needs; name all that are missing."""
    path = tool_path()
    problems: list[str] = []
    mkosi = os.environ.get("PYDECLOS_MKOSI") or shutil.which("mkosi", path=path)
    mkosi_version = 0
    if mkosi is None or not Path(mkosi).exists():
        problems.append(f"mkosi >= {MIN_MKOSI} (not found: {mkosi or 'mkosi'})")
    else:
        mkosi_version = _major_version([mkosi, "--version"], path) or 0
        if mkosi_version < MIN_MKOSI:
            problems.append(f"mkosi >= {MIN_MKOSI} (found version {mkosi_version or 'unknown'})")
    for tool, why in REQUIRED_TOOLS.items():
        if shutil.which(tool, path=path) is None:
            problems.append(f"{tool} ({why})")
    repart = shutil.which("systemd-repart", path=path)
    if repart is not None:
        version = _major_version([repart, "--version"], path) or 0
        if version < MIN_SYSTEMD:
            problems.append(f"systemd-repart >= {MIN_SYSTEMD} (found {version})")
    if not any(shutil.which(candidate, path=path) for candidate in UKIFY_CANDIDATES):
        problems.append("ukify (builds the unified kernel image)")
    if mkosi_version == MIN_MKOSI and shutil.which("bwrap", path=path) is None:
        problems.append("bwrap (mkosi 24 runs its tools in bubblewrap)")
    if problems:
        raise HostToolsMissingError(
            "this machine lacks tools the image build needs:\n  "
            + "\n  ".join(problems)
            + f"\nTo fix it, {SETUP_HINT}."
        )
    assert mkosi is not None
    return HostTools(mkosi=mkosi, mkosi_version=mkosi_version, path=path)
