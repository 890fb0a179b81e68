"""A partition too small for its contents is one sentence naming the option that sizes it,
not repart's raw message behind thousands of lines of mkfs.erofs output; and the verity
slot that eval computes from image.usr_size really holds the hash of a full /usr slot.

Real systemd-repart runs on the real lowered layout, with tiny sizes (about a second each).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pydeclos.build.errors import PartitionTooSmallError
from pydeclos.build.mkosi import TreeSummary, classify_failure
from pydeclos.lower import write_tree
from pydeclos.system import lower_system, system_config
from tests.conftest import unavailable
from tests.lower import tools

MiB = 1 << 20


def lowered(tmp_path: Path, image: str) -> Path:
    system = tmp_path / "system.py"
    system.write_text(f'config = {{"image": {{{image}}}}}\n')
    config, _ = system_config(system)
    tree = tmp_path / "tree"
    write_tree(lower_system(config), tree)
    return tree


def repart(tmp_path: Path, tree: Path, usr: int, var: int = 0) -> subprocess.CompletedProcess[str]:
    """systemd-repart as mkosi runs it on the tree, with `usr`/`var` bytes of incompressible
    files in the image (erofs stores them as they are)."""
    tools.need("systemd-repart", "mkfs.erofs", "mkfs.vfat", "mkfs.ext4")
    if tools.systemd_version("systemd-repart") < 254:
        unavailable("needs systemd-repart >= 254 (scripts/setup-host installs it)")
    root = tmp_path / "root"
    for directory in ("usr/lib", "boot", "efi", "var/lib", "home"):
        (root / directory).mkdir(parents=True)
    (root / "usr/lib/os-release").write_text("ID=debian\nIMAGE_VERSION=1\n")
    with open("/dev/urandom", "rb") as random:
        (root / "usr/lib/blob").write_bytes(random.read(usr))
        (root / "var/lib/blob").write_bytes(random.read(var))
    return subprocess.run(
        ["systemd-repart", f"--definitions={tree / 'mkosi.repart'}", "--no-pager",
         "--offline=yes", "--dry-run=no", "--empty=create", "--size=auto", f"--root={root}",
         str(tmp_path / "image.raw")], capture_output=True, text=True)


def classified(result: subprocess.CompletedProcess[str], tree: Path) -> Exception:
    assert result.returncode != 0, "repart was expected to fail"
    lines = (result.stdout + result.stderr).splitlines()
    summary = TreeSummary("pydeclos", "debian", "trixie", {})
    return classify_failure(lines, result.returncode, Path("/var/cache/x.log"), summary, tree)


SMALL = '"esp_size": "40M", "usr_size": "40M", "root_size": "40M"'


def test_a_full_slot_fits_its_computed_verity_slot(tmp_path: Path) -> None:
    tree = lowered(tmp_path, SMALL)
    assert "SizeMaxBytes=3M" in (tree / "mkosi.repart/11-usr-verity.conf").read_text()
    result = repart(tmp_path, tree, usr=38 * MiB)  # erofs of ~38M in a 40M slot
    assert result.returncode == 0, result.stderr


def test_usr_content_beyond_the_slot_names_usr_size(tmp_path: Path) -> None:
    tree = lowered(tmp_path, SMALL)
    error = classified(repart(tmp_path, tree, usr=44 * MiB), tree)
    assert isinstance(error, PartitionTooSmallError), error
    message = str(error)
    assert "10-usr.conf" in message and "raise image.usr_size" in message, message
    assert "\n" not in message and "erofs" not in message, message


def test_a_hand_shrunk_verity_slot_names_usr_verity_size(tmp_path: Path) -> None:
    tree = lowered(tmp_path, SMALL)
    for name in ("11-usr-verity.conf", "21-usr-verity-b.conf"):
        path = tree / "mkosi.repart" / name
        path.write_text(path.read_text().replace("=3M", "=1M"))
    error = classified(repart(tmp_path, tree, usr=30 * MiB), tree)
    assert isinstance(error, PartitionTooSmallError), error
    assert "11-usr-verity.conf" in str(error)
    assert "raise image.usr_verity_size" in str(error)


def test_a_full_root_is_not_a_full_host_disk(tmp_path: Path) -> None:
    tree = lowered(tmp_path, SMALL)
    error = classified(repart(tmp_path, tree, usr=MiB, var=44 * MiB), tree)
    assert isinstance(error, PartitionTooSmallError), error
    assert "30-root.conf" in str(error) and "raise image.root_size" in str(error)


@pytest.mark.parametrize("usr,verity", [("40M", "3M"), ("1G", "69M"), ("2G", "137M")])
def test_verity_size_follows_the_slot_size(tmp_path: Path, usr: str, verity: str) -> None:
    system = tmp_path / "system.py"
    system.write_text(f'config = {{"image": {{"usr_size": "{usr}"}}}}\n')
    config, _ = system_config(system)
    assert config["image"]["usr_verity_size"] == verity
