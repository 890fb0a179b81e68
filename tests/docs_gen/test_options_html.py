"""`pydeclos options --html DIR`: one self-contained page with every option, searched in the
browser. The browser test opens it in Debian's headless Chromium from file://, types a
search, checks what is shown, and keeps a screenshot (`options-page-*.png` in the test's
tmp dir, or in $PYDECLOS_ARTIFACTS when set)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.docs_gen.options_html import render_page


def embedded(page: str) -> list[dict[str, Any]]:
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert found is not None
    records: list[dict[str, Any]] = json.loads(found.group(1))
    return records


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    result = CliRunner().invoke(main, ["options", "--html", str(out)])
    assert result.exit_code == 0, result.output
    return out / "index.html"


def test_the_page_holds_every_option_the_json_lists(page: Path) -> None:
    listed = json.loads(CliRunner().invoke(main, ["options", "--json"]).output)
    records = embedded(page.read_text())
    assert [r["path"] for r in records] == [r["path"] for r in listed]
    by_path = {r["path"]: r for r in records}
    hostname = by_path["networking.hostname"]
    assert hostname["nixos_names"] == ["networking.hostName"]
    assert hostname["declarations"][0].startswith("modules/config/networking.py:")
    assert hostname["type"] and hostname["description"]


def test_the_page_needs_no_network(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", text)


def test_a_description_cannot_end_the_script() -> None:
    record = {"path": "x", "type": "str", "description": "</script><script>alert(1)</script>",
              "declarations": ["m.py:1"], "nixos_names": []}
    text = render_page([record], "t")
    assert embedded(text)[0]["description"] == record["description"]
    assert text.count("</script>") == 2  # the data's and the code's


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # An explicit driver: selenium then downloads nothing.
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()


def shown(driver: Any) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('section.option')]"
        ".filter(s => !s.hidden).map(s => s.id)")


def screenshot(driver: Any, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"options-page-{name}.png"
    driver.save_screenshot(str(target))
    assert target.stat().st_size > 1000
    artifacts = os.environ.get("PYDECLOS_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, artifacts)


@pytest.mark.needs_chromium
def test_searching_the_page_in_chromium(page: Path, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page.as_uri())
    total = len(embedded(page.read_text()))
    assert len(shown(browser)) == total
    box = browser.find_element(By.ID, "q")

    box.send_keys("allowedTCPPorts")  # a NixOS name
    WebDriverWait(browser, 10).until(lambda d: len(shown(d)) < total)
    assert shown(browser) == ["networking.firewall.allowed_tcp_ports"]
    assert browser.find_element(By.ID, "count").text == f"1 of {total} options"
    entry = browser.find_element(By.ID, "networking.firewall.allowed_tcp_ports").text
    assert "NixOS\nnetworking.firewall.allowedTCPPorts" in entry
    assert "Declared in\nmodules/services/firewall.py:" in entry
    screenshot(browser, tmp_path, "nixos-name")

    box.clear()
    box.send_keys("nginx virtual")  # words of paths and descriptions, in any order
    WebDriverWait(browser, 10).until(lambda d: "networking.firewall.allowed_tcp_ports"
                                     not in shown(d))
    hits = shown(browser)
    assert "services.nginx.virtual_hosts" in hits
    assert all("nginx" in path for path in hits[:3]), hits
    screenshot(browser, tmp_path, "words")

    box.clear()
    box.send_keys("no such option anywhere")
    WebDriverWait(browser, 10).until(lambda d: shown(d) == [])
    assert browser.find_element(By.ID, "count").text == f"0 of {total} options"
