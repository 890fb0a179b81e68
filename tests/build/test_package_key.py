"""The incremental cache key covers what installs packages, wherever the tree is."""

from __future__ import annotations

from pathlib import Path

from pydeclos.build.mkosi import TreeSummary, package_key


def summary(script: Path) -> TreeSummary:
    return TreeSummary("pydeclos", "debian", "trixie",
                       {"Packages": ["htop"], "PrepareScripts": [str(script)]})


def test_the_prepare_script_content_counts_not_its_path(tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "mkosi.prepare", tmp_path / "b" / "mkosi.prepare"
    for script in (one, two):
        script.parent.mkdir()
        script.write_text("apt-get install unrar:i386\n")
    assert package_key(summary(one)) == package_key(summary(two))
    two.write_text("apt-get install unrar:i386 zlib1g:i386\n")
    assert package_key(summary(one)) != package_key(summary(two))
