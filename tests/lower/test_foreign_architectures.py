"""image.foreign_architectures and components as mkosi gets them: native packages in
Packages=, `pkg:<arch>` ones in mkosi.prepare (mkosi's apt is single-architecture), the
components in the apt sources; and mkosi itself picks the prepare script up."""

from __future__ import annotations

import json
from pathlib import Path

from pydeclos.lower import write_tree
from pydeclos.system import lower_system, system_config
from tests.lower import tools

FOREIGN = ('config = {"image": {"components": ["main", "contrib", "non-free"],'
           ' "foreign_architectures": ["i386"]},'
           ' "packages": ["unrar:i386", "zlib1g:i386", "htop", "libc6:amd64"]}\n')


def lowered(tmp_path: Path, source: str) -> Path:
    system = tmp_path / "system.py"
    system.write_text(source)
    config, _ = system_config(system)
    tree = tmp_path / "tree"
    write_tree(lower_system(config), tree)
    return tree


def test_foreign_packages_go_to_the_prepare_script(tmp_path: Path) -> None:
    tree = lowered(tmp_path, FOREIGN)
    packages = [line.removeprefix("Packages=")
                for line in (tree / "mkosi.conf").read_text().splitlines()
                if line.startswith("Packages=")]
    assert "htop" in packages and "libc6:amd64" in packages
    assert not [p for p in packages if p.endswith(":i386")]
    prepare = tree / "mkosi.prepare"
    assert prepare.stat().st_mode & 0o777 == 0o755
    lines = prepare.read_text().splitlines()
    assert lines[0] == "#!/bin/sh"
    assert "dpkg --add-architecture i386" in lines
    apt = 'apt-get -o "APT::Architectures=$DISTRIBUTION_ARCHITECTURE,i386"'
    assert f"{apt} update" in lines
    assert f"{apt} install unrar:i386 zlib1g:i386" in lines
    # `final` only: the script must not run again in a build overlay.
    assert lines.index('[ "$1" = final ] || exit 0') < lines.index("dpkg --add-architecture i386")


def test_components_are_in_every_source(tmp_path: Path) -> None:
    tree = lowered(tmp_path, FOREIGN)
    sources = (tree / "mkosi.sandbox/etc/apt/sources.list.d/mkosi.sources").read_text()
    assert sources.count("Components: main contrib non-free\n") == 2, sources


def test_no_foreign_architecture_no_prepare_script(tmp_path: Path) -> None:
    tree = lowered(tmp_path, 'config = {"packages": ["htop"]}\n')
    assert not (tree / "mkosi.prepare").exists()


def test_an_architecture_without_packages_is_still_added(tmp_path: Path) -> None:
    tree = lowered(tmp_path, 'config = {"image": {"foreign_architectures": ["i386"]}}\n')
    lines = (tree / "mkosi.prepare").read_text().splitlines()
    assert "dpkg --add-architecture i386" in lines
    assert not [line for line in lines if line.startswith("apt-get")]


def test_mkosi_runs_the_prepare_script(tmp_path: Path) -> None:
    tools.need("mkosi")
    tree = lowered(tmp_path, FOREIGN)
    result = tools.run(["mkosi", "-C", tree, "--json", "summary"])
    assert result.returncode == 0, result.stderr
    image = json.loads(result.stdout)["Images"][-1]
    assert [Path(p) for p in image["PrepareScripts"]] == [tree / "mkosi.prepare"]


def test_removed_foreign_packages_are_purged_by_the_prepare_script(tmp_path: Path) -> None:
    tree = lowered(tmp_path, 'config = {"image": {"foreign_architectures": ["i386"]},'
                             ' "packages": ["zlib1g:i386"],'
                             ' "packages_removed": ["gcc-14-base:i386", "vim-tiny"]}\n')
    conf = (tree / "mkosi.conf").read_text()
    assert "RemovePackages=vim-tiny" in conf and "gcc-14-base" not in conf
    lines = (tree / "mkosi.prepare").read_text().splitlines()
    apt = 'apt-get -o "APT::Architectures=$DISTRIBUTION_ARCHITECTURE,i386"'
    assert lines[-2:] == [f"{apt} install zlib1g:i386", f"{apt} purge gcc-14-base:i386"]
