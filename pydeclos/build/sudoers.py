"""Does the host's visudo accept the build tree's sudoers drop-ins? Asked before mkosi starts.

sudo refuses to run at all while any file it reads has a syntax error, so a bad line in
`security.sudo.extra_config` would lock the admins out of root on every machine the update
reaches. The typed rules cannot produce one; the verbatim lines can, and only visudo knows.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pydeclos.build.errors import SETUP_HINT, HostToolsMissingError, SudoersInvalidError

# Where lowering puts the managed /etc entries (linked from /etc on the machine).
ETC_STORE = Path("mkosi.extra/usr/share/pydeclos/etc")


def sudoers_files(tree: Path) -> list[Path]:
    directory = tree / ETC_STORE / "sudoers.d"
    return sorted(path for path in directory.iterdir() if path.is_file()) \
        if directory.is_dir() else []


def check_sudoers(tree: Path) -> None:
    """`visudo -c -f` on each sudoers drop-in of the tree; raise naming the first refused."""
    files = sudoers_files(tree)
    if not files:
        return
    visudo = shutil.which("visudo") or shutil.which("visudo", path="/usr/sbin:/sbin")
    if visudo is None:
        raise HostToolsMissingError(
            f"visudo is missing on this host; it checks the sudoers drop-in that "
            f"security.sudo writes before the image is built: {SETUP_HINT}")
    for path in files:
        result = subprocess.run([visudo, "-c", "-f", str(path)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            said = (result.stderr or result.stdout).strip().replace(str(path), path.name)
            raise SudoersInvalidError(
                f"visudo refuses /etc/sudoers.d/{path.name}, and sudo would refuse to run on "
                f"the machine: {said}\n  fix security.sudo.extra_config (the typed "
                f"extra_rules are always valid)")
