"""The boot-time keep of hand-edited /etc entries (modules/config/environment.py): the
lowered script run for real by bash on a scratch root that the real systemd-tmpfiles made,
before and after tmpfiles restores the declared content."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.lower import tools
from tests.modules.lowering import lower_cli

SCRIPT = "usr/libexec/pydeclos/keep-etc-edits"
KEPT = "var/lib/pydeclos/etc-kept"

SYSTEM = """\
config = {"environment": {"etc": {
    "app/linked.conf": {"text": "declared\\n"},
    "app/copied.conf": {"text": "declared copy\\n", "user": "nobody", "group": "nogroup"},
    "app/untouched.conf": {"text": "left alone\\n"}}}}
"""


def booted_root(tmp_path: Path) -> Path:
    """The lowered tree with sysusers and tmpfiles applied, as at a boot of generation 7."""
    tree, result = lower_cli(SYSTEM, tmp_path)
    assert result.exit_code == 0, result.output
    root = tools.applied_root(tree / "mkosi.extra", tmp_path / "root")
    (root / "usr/lib/os-release").write_text('ID=debian\nIMAGE_VERSION="7"\n')
    return root


def keep(root: Path) -> str:
    done = subprocess.run(["bash", str(root / SCRIPT), str(root)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def kept_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root / KEPT).as_posix(): p.read_text()
            for p in sorted((root / KEPT).rglob("*")) if p.is_file()}


def edit(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    tools.need("systemd-sysusers", "systemd-tmpfiles")
    return booted_root(tmp_path)


def test_an_untouched_etc_keeps_nothing(root: Path) -> None:
    assert (root / "etc/app/linked.conf").is_symlink()
    assert keep(root) == ""
    assert not (root / KEPT).exists()


def test_files_an_admin_put_in_place_of_declared_entries_are_kept_before_the_restore(
        root: Path) -> None:
    edit(root / "etc/app/linked.conf", "the admin's\n")
    (root / "etc/app/copied.conf").write_text("the admin's copy\n")
    out = keep(root)
    [stamp] = {name.split("/")[0] for name in kept_files(root)}
    assert stamp.endswith("-boot-gen7"), stamp
    assert kept_files(root) == {f"{stamp}/app/linked.conf": "the admin's\n",
                                f"{stamp}/app/copied.conf": "the admin's copy\n"}
    assert f"/etc/app/linked.conf differs from its declaration, which is restored now; the " \
           f"file is kept in /{KEPT}/{stamp}/app/linked.conf" in out.replace(str(root), ""), out
    # What the boot's systemd-tmpfiles then does: the declared content is back.
    done = tools.run(["systemd-tmpfiles", f"--root={root}", "--create",
                      "--prefix=/etc/app"])
    assert done.returncode == 0, done.stderr
    assert os.readlink(root / "etc/app/linked.conf") == "/usr/share/pydeclos/etc/app/linked.conf"
    # (Whether `C+` replaces an existing copy depends on the systemd version: not asserted.)
    assert keep(root) == ""  # what was kept is not kept again


def test_a_copy_already_kept_is_not_kept_again(root: Path) -> None:
    edit(root / "etc/app/linked.conf", "the admin's\n")
    earlier = root / KEPT / "20261201-120000-gen6/app/linked.conf"  # as `switch` keeps it
    earlier.parent.mkdir(parents=True)
    earlier.write_text("the admin's\n")
    assert keep(root) == ""
    assert list(kept_files(root)) == ["20261201-120000-gen6/app/linked.conf"]
    edit(root / "etc/app/linked.conf", "edited again\n")
    assert "app/linked.conf" in keep(root)
    assert len(kept_files(root)) == 2
