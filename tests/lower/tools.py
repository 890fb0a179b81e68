"""Helpers that put a lowered tree in front of the real tools (mkosi, systemd, nft)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from pydeclos.lower import FileTree, write_tree
from tests.conftest import unavailable

UNIT_DIR = "usr/lib/systemd/system"
PEOPLE_SCRIPT = "usr/lib/pydeclos/add-people"
PEOPLE_FILE = "usr/lib/pydeclos/sysusers-people.conf"
PASSWORDS_SCRIPT = "usr/lib/pydeclos/apply-passwords"
EXEC_KEYS = re.compile(r"^(ExecStart|ExecStartPre|ExecStartPost|ExecReload|ExecStop|"
                       r"ExecStopPost|ExecCondition)=(.*)$", re.MULTILINE)
# The accounts a Debian base system has before sysusers runs (base-passwd), trimmed to
# what the examples refer to.
BASE_PASSWD = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
BASE_GROUP = ("root:x:0:\nadm:x:4:\nsudo:x:27:\nwww-data:x:33:\nusers:x:100:\n"
              "nogroup:x:65534:\n")


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and not Path(t).exists()]
    if missing:
        unavailable(f"needs {', '.join(missing)} (scripts/setup-host installs it)")


def systemd_version(tool: str = "systemctl") -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"systemd (\d+)", out)
    return int(match.group(1)) if match else 0


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


def write(tree: FileTree, dest: Path) -> Path:
    write_tree(tree, dest)
    return dest


def mkosi_summary(tree_dir: Path) -> dict:
    result = run(["mkosi", "--json", "summary"], cwd=tree_dir)
    assert result.returncode == 0, result.stderr
    images = json.loads(result.stdout)["Images"]
    assert len(images) == 1
    return images[0]


def unit_files(extra: Path) -> list[Path]:
    """The unit files (not links, not drop-ins) pydeclos wrote."""
    unit_dir = extra / UNIT_DIR
    if not unit_dir.is_dir():
        return []
    return sorted(p for p in unit_dir.iterdir() if p.is_file() and not p.is_symlink())


def verify_root(extra: Path, root: Path) -> Path:
    """A root for `systemd-analyze verify`: the host's units under the tree's, and an
    executable placeholder for each command the units run (the real programs come from
    packages that only the image has; this tier checks the units, the VM tier the rest)."""
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / UNIT_DIR, symlinks=True)
    # As mkosi copies extra trees: over what packages installed, links replacing files.
    subprocess.run(["cp", "-a", "--remove-destination", f"{extra}/.", str(root)], check=True)
    for name in ("bin", "sbin", "lib"):
        (root / "usr" / name).mkdir(parents=True, exist_ok=True)
        if not (root / name).is_symlink():
            (root / name).symlink_to(f"usr/{name}")
    drop_ins = sorted((extra / UNIT_DIR).glob("*.d/*.conf")) if (extra / UNIT_DIR).is_dir() else []
    # A drop-in makes verify load the unit it extends, the host's copy: its programs too.
    extended = [unit for d in drop_ins if (unit := root / UNIT_DIR / d.parent.name[:-2]).is_file()]
    for unit in [*unit_files(extra), *drop_ins, *extended]:
        for _, command in EXEC_KEYS.findall(unit.read_text()):
            if not command.strip():
                continue  # an empty ExecStart= in a drop-in resets the list
            program = command.lstrip("-@:+!").split()[0]
            if not program.startswith("/"):
                program = f"/usr/bin/{program}"  # systemd looks bare names up on its PATH
            target = root / program.lstrip("/")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("")
                target.chmod(0o755)
    return root


def applied_root(extra: Path, root: Path) -> Path:
    """The tree with sysusers and tmpfiles applied, as mkosi does at build time."""
    shutil.copytree(extra, root, symlinks=True)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc/passwd").write_text(BASE_PASSWD)
    (root / "etc/group").write_text(BASE_GROUP)
    result = run(["systemd-sysusers", f"--root={root}"])
    assert result.returncode == 0, result.stderr
    add_people(root)
    result = run(["systemd-tmpfiles", f"--root={root}", "--boot", "--create", "--remove",
                  *(f"--exclude-prefix={d}" for d in ("/tmp", "/var/tmp", "/run", "/proc",
                                                        "/sys", "/dev"))])
    assert result.returncode == 0, result.stderr
    return root


def add_people(root: Path) -> None:
    """What pydeclos-users.service runs at boot: the normal users without a uid."""
    script, people = root / PEOPLE_SCRIPT, f"/{PEOPLE_FILE}"
    if script.exists():
        result = run(["sh", script, "--root", root, people])
        assert result.returncode == 0, result.stderr


def apply_passwords(root: Path, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """What pydeclos-passwords.service runs, against the scratch root's shadow file."""
    return run(["sh", root / PASSWORDS_SCRIPT, "--root", root, *arguments])


def shadow(root: Path) -> dict[str, str]:
    return {line.split(":")[0]: line.split(":")[1]
            for line in (root / "etc/shadow").read_text().splitlines()}


def passwd(root: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":")
            for line in (root / "etc/passwd").read_text().splitlines()}


def group(root: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":")
            for line in (root / "etc/group").read_text().splitlines()}
