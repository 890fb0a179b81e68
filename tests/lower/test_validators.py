"""The checkers can fail: each refuses a broken file and accepts a sound one, so a passing
tool check means the tool read the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.lower import validators

CASES = [
    pytest.param(lambda conf, scratch: validators.nginx(conf, scratch),
                 "server {\n    listen 80;\n    location / {\n        root /srv;\n    }\n}\n",
                 "server {\n    listen 80;\n    location / {\n        root /srv; } x {\n    }\n}\n",
                 id="nginx"),
    # A directive Debian's nginx.conf sets at the http level, set again by ours.
    pytest.param(lambda conf, scratch: validators.nginx(conf, scratch),
                 "gzip_vary on;\n", "gzip on;\n", id="nginx-debian-http-directive"),
    pytest.param(lambda conf, scratch: validators.sshd(conf, scratch),
                 "Port 22\nBanner /etc/issue.net\n", "Port 22\nBanner \"/etc/issue.net\n",
                 id="sshd"),
    pytest.param(lambda conf, scratch: validators.visudo(conf),
                 "%sudo ALL=(ALL:ALL) ALL\n", "%sudo ALL=(ALL:ALL ALL\n", id="visudo"),
]


@pytest.mark.parametrize(("check", "good", "bad"), CASES)
def test_checker_accepts_good_and_refuses_bad(tmp_path: Path, check: Callable[[Path, Path], str | None],
                                               good: str, bad: str) -> None:
    conf = tmp_path / "conf"
    conf.write_text(good)
    assert check(conf, tmp_path / "good") is None
    conf.write_text(bad)
    assert check(conf, tmp_path / "bad")
