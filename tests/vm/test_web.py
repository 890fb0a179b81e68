"""examples/web built and booted once; each test checks one piece from inside the machine.

Cost: one build of examples/web (nginx, sudo, curl, openssl on top of the minimal set) and
one boot under TCG (about 1-2 minutes each on an idle 2-core host).
"""

from __future__ import annotations

import pytest

from tests.conftest import REPO, scratch

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

WEB = REPO / "examples" / "web" / "system.py"

# "key<TAB>value" lines; `set -u` only, so one failing probe does not hide the others.
PROBES = r"""
set -u
p() { printf '%s\t%s\n' "$1" "$(printf '%s' "$2" | tr '\n\t' '  ')"; }
tls() {  # tls NAME PATH: fetch over HTTPS from this machine, checked against NAME's certificate
  curl -sS --max-time 20 --resolve "$1:443:127.0.0.1" \
    --cacert "/var/lib/nginx-self-signed/$1/cert.pem" "https://$1$2" 2>&1
}
p state "$(systemctl is-system-running)"
p failed "$(systemctl --failed --no-legend --plain | awk '{print $1}')"
p www "$(tls www.example.test /)"
p www_fallback "$(tls www.example.test /no/such/page)"
p app "$(tls app.example.test /hello.txt)"
p redirect "$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve www.example.test:80:127.0.0.1 http://www.example.test/x)"
p default_site "$(curl -sS -k --max-time 20 https://127.0.0.1/)"
p key_mode "$(stat -c '%a %U' /var/lib/nginx-self-signed/www.example.test/key.pem)"
p sudo "$(sudo -l -U alice | grep -E 'NOPASSWD: ALL' | sed 's/^ *//')"
p address "$(ip -4 -o address show scope global | awk '{print $4}')"
p online "$(networkctl list --no-legend --no-pager | awk '$3 == "ether" {print $4 "/" $5}')"
p swap "$(swapon --show=NAME,TYPE --noheadings)"
echo "probes done" >&2
"""


@pytest.fixture(scope="module")
def web_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from pydeclos.build.system import build_system

    with scratch(request, tmp_path_factory, "web-out") as out:
        yield build_system(WEB, out)


@pytest.fixture(scope="module")
def probes(web_build) -> dict[str, str]:
    from pydeclos.vm.qemu import VmOptions, run_exec

    image = web_build.directory / web_build.artifacts["image"]
    # The console stays beside the build (kept when a test fails): a panic's cause is in it.
    result = run_exec(image, PROBES, VmOptions(), timeout=900,
                      console_log=web_build.directory.parent / "console.log")
    assert "probes done" in result.report.stderr, result.report.stderr
    found: dict[str, str] = {}
    for line in result.report.stdout.splitlines():
        key, _, value = line.partition("\t")
        found[key] = value.strip()
    return found


def test_the_web_server_boots_to_running(probes) -> None:
    assert probes["state"] == "running", probes["failed"]


def test_the_static_site_answers_over_tls_with_its_own_certificate(probes) -> None:
    assert probes["www"] == "<h1>www.example.test</h1>"


def test_try_files_falls_back_to_the_index(probes) -> None:
    assert probes["www_fallback"] == "<h1>www.example.test</h1>"


def test_the_second_site_proxies_to_the_backend_service(probes) -> None:
    assert probes["app"] == "hello from the backend"


def test_plain_http_redirects_to_https(probes) -> None:
    assert probes["redirect"] == "301 https://www.example.test/x"


def test_the_declared_default_host_replaces_debians_welcome_page(probes) -> None:
    assert probes["default_site"] == "<h1>www.example.test</h1>"


def test_the_private_key_was_made_on_the_machine_and_kept_private(probes, web_build) -> None:
    assert probes["key_mode"] == "600 root"
    usr_files = (web_build.directory / "generation.json").read_text()
    assert "key.pem" not in usr_files  # not shipped: created at first boot


def test_admins_may_use_sudo_without_a_password(probes) -> None:
    assert "(ALL : ALL) NOPASSWD: ALL" in probes["sudo"]


def test_networkd_gives_the_static_address(probes) -> None:
    assert probes["address"] == "10.0.2.15/24"
    assert probes["online"].startswith("routable/configured"), probes["online"]


def test_swap_is_in_zram(probes) -> None:
    assert "/dev/zram0" in probes["swap"]
