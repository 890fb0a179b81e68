"""Swap devices, swap files made at boot, and zram swap: the units checked by
`systemd-analyze verify`, the swap-file script run for real, the zram configuration fed to
the real zram generator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.lower import tools, validators
from tests.modules.lowering import lower_cli

EXTRA = "mkosi.extra"
UNITS = f"{EXTRA}/usr/lib/systemd/system"
GENERATOR = "/lib/systemd/system-generators/zram-generator"
SYSTEM = """\
config = {"swap_devices": [{"device": "/var/swapfile", "size": "16M", "priority": 10},
                           {"device": "LABEL=swap", "discard": True}],
          "zram_swap": {"enable": True, "memory_percent": 25, "max_size": "2G"}}
"""


def lower(text: str, work: Path) -> tuple[Path, str]:
    tree, result = lower_cli(text, work)
    return tree, result.output if result.exit_code else ""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made, error = lower(SYSTEM, tmp_path_factory.mktemp("swap"))
    assert not error, error
    return made


def test_each_swap_is_a_unit_that_swap_target_wants(tree: Path) -> None:
    units = tree / UNITS
    assert (units / "var-swapfile.swap").read_text().splitlines()[-2:] == [
        "What=/var/swapfile", "Priority=10"]
    label = (units / "dev-disk-by\\x2dlabel-swap.swap").read_text().splitlines()
    assert label[-2:] == ["What=/dev/disk/by-label/swap", "Options=discard"]
    wants = sorted(p.name for p in (units / "swap.target.wants").iterdir())
    assert wants == ["dev-disk-by\\x2dlabel-swap.swap", "var-swapfile.swap"]
    assert "Requires=mkswap-var-swapfile.service" in (units / "var-swapfile.swap").read_text()
    fstab = (tree / EXTRA / "usr/share/pydeclos/etc/fstab").read_text()
    assert "swap" not in fstab


def test_swap_units_pass_systemd_analyze_verify(tree: Path, tmp_path: Path) -> None:
    assert validators.units(tree, tmp_path) is None


def test_the_swap_file_is_made_once_with_its_size(tree: Path, tmp_path: Path) -> None:
    """The unit's script, run for real on a scratch path instead of /var/swapfile."""
    tools.need("mkswap", "fallocate")
    if os.geteuid() != 0:
        pytest.skip("mkswap writes the file as root on the machine")
    script = (tree / EXTRA / "usr/lib/pydeclos/services/mkswap-var-swapfile/start").read_text()
    swapfile = tmp_path / "swapfile"
    local = tmp_path / "start"
    local.write_text(script.replace("/var/swapfile", str(swapfile)))
    subprocess.run(["bash", local], check=True, capture_output=True)
    assert swapfile.stat().st_size == 16 << 20
    assert swapfile.stat().st_mode & 0o777 == 0o600
    kind = tools.run(["blkid", "-o", "value", "-s", "TYPE", swapfile])
    assert kind.stdout.strip() == "swap", kind
    inode = swapfile.stat().st_ino
    subprocess.run(["bash", local], check=True, capture_output=True)
    assert swapfile.stat().st_ino == inode  # the right size: left alone
    local.write_text(script.replace("/var/swapfile", str(swapfile)).replace(
        str(16 << 20), str(32 << 20)).replace("count=16", "count=32"))
    subprocess.run(["bash", local], check=True, capture_output=True)
    assert swapfile.stat().st_size == 32 << 20


def test_the_zram_generator_reads_the_configuration(tree: Path, tmp_path: Path) -> None:
    """The real generator (systemd-zram-generator) on the /etc file pydeclos ships."""
    tools.need(GENERATOR)
    conf = (tree / EXTRA / "usr/share/pydeclos/etc/systemd/zram-generator.conf").read_text()
    assert "zram-size = min(ram * 25 / 100, 2048)" in conf.splitlines()
    root, out = tmp_path / "root", tmp_path / "out"
    (root / "etc/systemd").mkdir(parents=True)
    (root / "proc").mkdir()
    (root / "etc/systemd/zram-generator.conf").write_text(conf)
    (root / "proc/meminfo").write_text("MemTotal:        4000000 kB\n")
    out.mkdir()
    done = subprocess.run([GENERATOR, out], env={**os.environ, "ZRAM_GENERATOR_ROOT": str(root)},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "rror" not in done.stderr.replace("modprobe", ""), done.stderr
    swap = (out / "dev-zram0.swap").read_text().splitlines()
    assert "What=/dev/zram0" in swap and "Priority=100" in swap
    assert (out / "swap.target.wants/dev-zram0.swap").exists()


def test_zram_installs_the_generator(tree: Path) -> None:
    assert "Packages=systemd-zram-generator" in (tree / "mkosi.conf").read_text().splitlines()


# (entry on line 2, the line the error names: an assertion names the list's first line)
MISUSE = [
    pytest.param('{"device": "LABEL=swap", "size": "2G"}', 1, ["swap_devices[0]", "drop `size`"],
                 id="size-for-a-partition"),
    pytest.param('{"device": "/usr/swapfile", "size": "2G"}', 1, ["read-only image"],
                 id="file-in-usr"),
    pytest.param('{"device": "/var/swap file"}', 2, ["swap_devices[0].device", "without spaces"],
                 id="space"),
    pytest.param('{"device": "/var/swapfile", "size": "2 GB"}', 2, ["swap_devices[0].size"],
                 id="size-unit"),
]


@pytest.mark.parametrize("entry,line,words", MISUSE)
def test_swap_misuse_names_the_users_line(entry: str, line: int, words: list[str],
                                          tmp_path: Path) -> None:
    _, error = lower(f'config = {{"swap_devices": [\n    {entry}]}}\n', tmp_path)
    assert f"system.py:{line}" in error, error
    for word in words:
        assert word in error, error


def test_a_bad_zram_algorithm_names_the_users_line(tmp_path: Path) -> None:
    _, error = lower('config = {"zram_swap": {"enable": True,\n'
                     '                         "algorithm": "gzip"}}\n', tmp_path)
    assert "zram_swap.algorithm" in error and "system.py:2" in error, error
