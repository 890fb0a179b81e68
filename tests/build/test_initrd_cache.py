"""Keeping mkosi's default initrd for the next build of the same package set (no mkosi:
the log lines are mkosi 24.3's, as `pydeclos build` reads them)."""

from __future__ import annotations

from pathlib import Path

from pydeclos.build.initrd_cache import InitrdCache
from pydeclos.build.mkosi import TreeSummary


def summary(**raw: object) -> TreeSummary:
    return TreeSummary("pydeclos", "debian", "trixie", {"ImageId": "pydeclos", **raw})


def mkosi_log(workspace: Path) -> list[str]:
    return [
        "‣  Generating disk image",
        "‣  Building default initrd",
        f"‣   Creating cpio archive {workspace}/staging/initrd.cpio…",
        f"‣   {workspace}/initrd.cpio.zst size is 30.7M, consumes 30.7M.",
        f"‣  {workspace}/root/boot/EFI/Linux/pydeclos_2.efi size is 62.7M, consumes 62.7M.",
    ]


def test_the_default_initrd_mkosi_built_is_kept_and_passed_to_the_next_build(
        tmp_path: Path) -> None:
    workspace = tmp_path / "workspace" / "mkosi-workspace-abc123"
    workspace.mkdir(parents=True)
    (workspace / "initrd.cpio.zst").write_bytes(b"initrd one")
    incremental = tmp_path / "incremental"
    incremental.mkdir()
    tree = tmp_path / "tree"
    tree.mkdir()

    first = InitrdCache.for_build(incremental, summary(Environment={"IMAGE_VERSION": "1"}),
                                  tree, 24)
    assert first.options() == []
    for line in mkosi_log(workspace):
        first.observe(line)
    (workspace / "initrd.cpio.zst").unlink()  # mkosi removes its workspace at the end

    second = InitrdCache.for_build(incremental, summary(Environment={"IMAGE_VERSION": "2"}),
                                   tree, 24)
    assert second.path is not None and second.path.read_bytes() == b"initrd one"
    assert second.options() == [f"--initrd={second.path}"]
    # a setting the initrd is built with, or another mkosi, makes it build again
    assert InitrdCache.for_build(incremental, summary(Locale="de_DE.UTF-8"), tree,
                                 24).options() == []
    assert InitrdCache.for_build(incremental, summary(), tree, 25).options() == []


def test_an_initrd_line_outside_the_default_initrd_build_is_not_kept(tmp_path: Path) -> None:
    workspace = tmp_path / "mkosi-workspace-x"
    workspace.mkdir()
    (workspace / "initrd.cpio.zst").write_bytes(b"not the default one")
    cache = InitrdCache.for_build(tmp_path, summary(), tmp_path, 24)
    cache.observe(f"‣   {workspace}/initrd.cpio.zst size is 1M, consumes 1M.")
    assert cache.path is not None and not cache.path.exists()


def test_a_tree_with_its_own_initrds_never_gets_the_kept_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "mkosi.images").mkdir(parents=True)
    kept = InitrdCache.for_build(tmp_path, summary(), tmp_path / "plain", 24).path
    assert kept is not None
    kept.write_bytes(b"kept")
    assert InitrdCache.for_build(tmp_path, summary(), tree, 24).options() == []
    assert InitrdCache.for_build(tmp_path, summary(Initrds=["/x.cpio"]), tmp_path / "plain",
                                 24).options() == []
