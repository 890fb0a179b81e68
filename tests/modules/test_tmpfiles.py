"""Typed tmpfiles entries: one owner per path, applied by the real systemd-tmpfiles on a
scratch root without a "Duplicate line" warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.lower import tools
from tests.modules.lowering import lower_cli

EXTRA = "mkosi.extra"
SETTINGS = f"{EXTRA}/usr/lib/tmpfiles.d/pydeclos-settings.conf"


def lower(text: str, work: Path, **others: str) -> tuple[Path, str]:
    tree, result = lower_cli(text, work, **others)
    return tree, result.output if result.exit_code else ""


def tmpfiles(tree: Path, root: Path) -> str:
    """sysusers, then `systemd-tmpfiles --create` on a scratch copy; its complaints."""
    tools.need("systemd-sysusers", "systemd-tmpfiles")
    shutil.copytree(tree / EXTRA, root, symlinks=True)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc/passwd").write_text(tools.BASE_PASSWD)
    (root / "etc/group").write_text(tools.BASE_GROUP)
    done = tools.run(["systemd-sysusers", f"--root={root}"])
    assert done.returncode == 0, done.stderr
    tools.add_people(root)
    done = tools.run(["systemd-tmpfiles", f"--root={root}", "--create",
                      "--prefix=/srv", "--prefix=/var/lib", "--prefix=/home"])
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


HOME_AND_ENTRY = """\
config = {"users": {"users": {
              "svc": {"is_system_user": True, "home": "/var/lib/svc", "create_home": True},
              "alice": {"is_normal_user": True}}},
          "systemd": {"tmpfiles": {"settings": {
              "/var/lib/svc": {"d": {"mode": "0750", "user": "svc", "group": "nogroup"}},
              "/srv/www": {"d": {"mode": "0755", "user": "root", "group": "www-data",
                                 "age": "10d"}},
              "/srv/www/current": {"L+": {"argument": "/srv/www/100%"}}}}}}
"""


def test_a_home_and_an_entry_for_its_path_make_one_line(tmp_path: Path) -> None:
    tree, error = lower(HOME_AND_ENTRY, tmp_path)
    assert not error, error
    assert (tree / SETTINGS).read_text().splitlines()[1:] == [
        "d /home/alice 0700 alice alice -",
        "d /srv/www 0755 root www-data 10d",
        "L+ /srv/www/current - - - - /srv/www/100%%",
        "d /var/lib/svc 0750 svc nogroup -",
    ]
    root = tmp_path / "root"
    assert "Duplicate" not in tmpfiles(tree, root)
    assert (root / "var/lib/svc").stat().st_mode & 0o777 == 0o750
    assert (root / "home/alice").stat().st_mode & 0o777 == 0o700
    assert (root / "srv/www/current").readlink() == Path("/srv/www/100%")


def test_a_verbatim_rule_for_a_home_replaces_the_home_line(tmp_path: Path) -> None:
    """What a system user's home and a rule for it gave before: tmpfiles duplicates."""
    tree, error = lower("""\
        config = {"users": {"users": {"svc": {"is_system_user": True, "home": "/var/lib/svc",
                                              "create_home": True}}},
                  "systemd": {"tmpfiles": {"rules": ["d /var/lib/svc 0755 svc nogroup -"]}}}
    """, tmp_path)
    assert not error, error
    assert not (tree / SETTINGS).exists()
    root = tmp_path / "root"
    assert "Duplicate" not in tmpfiles(tree, root)
    assert (root / "var/lib/svc").stat().st_mode & 0o777 == 0o755


def test_two_modules_that_disagree_about_a_path_are_a_conflict(tmp_path: Path) -> None:
    _, error = lower("""\
        imports = ["./other.py"]
        config = {"systemd": {"tmpfiles": {"settings": {
            "/srv/data": {"d": {"mode": "0755"}}}}}}
    """, tmp_path, other="""\
        config = {"systemd": {"tmpfiles": {"settings": {
            "/srv/data": {"d": {"mode": "0700"}}}}}}
    """)
    assert "/srv/data" in error and "system.py:3" in error and "other.py:2" in error, error


MISUSE = [
    pytest.param('"settings": {"/srv/a": {"dd": {}}}', ["tmpfiles.d line type"], id="type"),
    pytest.param('"settings": {"/srv/a": {"f": {"argument": "a\\nb"}}}', ["argument"],
                 id="argument-newline"),
    pytest.param('"settings": {"srv/a": {"d": {}}}', ["absolute"], id="relative-path"),
    pytest.param('"settings": {"/srv/a": {"d": {"age": "soon"}}}', ["age"], id="age"),
    pytest.param('"settings": {"/srv/a": {"d": {}}}, "rules": ["d /srv/a 0755 - - -"]',
                 ["/srv/a", "Keep one", "systemd.tmpfiles.rules"], id="rule-and-setting"),
]


@pytest.mark.parametrize("settings,words", MISUSE)
def test_tmpfiles_misuse_names_the_users_line(settings: str, words: list[str],
                                               tmp_path: Path) -> None:
    _, error = lower('config = {"systemd": {"tmpfiles": {\n'
                     f'    {settings}}}}}}}\n', tmp_path)
    assert "system.py:2" in error, error
    for word in words:
        assert word in error, error
