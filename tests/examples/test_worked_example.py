"""docs/dev/service-module.md's worked example: one module file, listed with the library,
gives a package, a unit, a system user, a state directory, an /etc file and a port."""

from __future__ import annotations

import re
from pathlib import Path

from pydeclos.library import library_dir, stdlib_modules
from pydeclos.lower import File, lower
from pydeclos.modsys import evaluate

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "docs/dev/node_exporter.py"
UNITS = "mkosi.extra/usr/lib/systemd/system"


def lowered(tmp_path: Path, source: str):
    system = tmp_path / "system.py"
    system.write_text(source)
    # As if the file were listed in modules/module_list.py: part of the prelude.
    config = evaluate(system, prelude=[*stdlib_modules(), MODULE],
                      modules_path=library_dir()).to_data()
    return config, lower(config)


def text(tree, path: str) -> str:
    entry = tree[path]
    assert isinstance(entry, File), path
    return entry.content.decode()


def test_the_worked_example_gives_everything_it_promises(tmp_path: Path) -> None:
    config, tree = lowered(tmp_path, 'config = {"services.node_exporter": '
                                     '{"enable": True, "open_firewall": True}}\n')
    assert "prometheus-node-exporter" in config["packages"]
    unit = text(tree, f"{UNITS}/node-exporter.service")
    assert "User=node-exporter" in unit and "--web.listen-address=:9100" in unit
    assert f"{UNITS}/multi-user.target.wants/node-exporter.service" in tree
    assert "u node-exporter -:nogroup" in text(tree, "mkosi.extra/usr/lib/sysusers.d/pydeclos.conf")
    assert "d /var/lib/node-exporter 0755 node-exporter nogroup -" in \
        text(tree, "mkosi.extra/usr/lib/tmpfiles.d/pydeclos-settings.conf")
    assert "mkosi.extra/usr/share/pydeclos/etc/node-exporter/web.yml" in tree
    assert "tcp dport { 9100 } accept" in text(tree, "mkosi.extra/usr/share/pydeclos/etc/nftables.conf")
    assert "disable prometheus-node-exporter.service" in \
        text(tree, "mkosi.extra/usr/lib/systemd/system-preset/50-pydeclos.preset")


def test_disabled_it_leaves_no_trace(tmp_path: Path) -> None:
    config, tree = lowered(tmp_path, "")
    assert "prometheus-node-exporter" not in config["packages"]
    assert not [path for path in tree if "node-exporter" in path]


def test_the_page_shows_the_file_as_it_is() -> None:
    page = (ROOT / "docs/dev/service-module.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    assert MODULE.read_text() in blocks
