"""nginx virtual hosts: what they write, and `nginx -t` accepting every generated config
(TLS ones with a throw-away certificate made by openssl in the test's directory)."""

from __future__ import annotations

import http.client
import http.server
import shlex
import socket
import ssl
import subprocess
import textwrap
import threading
import time
from pathlib import Path

from tests.lower import tools, validators
from tests.modules.lowering import lower_cli

SELF_SIGNED = "/var/lib/nginx-self-signed"


def lower(tmp_path: Path, nginx: str) -> Path:
    """Lower a system with `services.nginx = {nginx}`; the tree's directory."""
    tree, result = lower_cli(f"config = {{'services': {{'nginx': {textwrap.dedent(nginx)}}}}}\n",
                             tmp_path)
    assert result.exit_code == 0, result.output
    return tree


def certificate(directory: Path, name: str = "a.org") -> tuple[Path, Path]:
    tools.need("openssl")
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    made = tools.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                      "-subj", f"/CN={name}", "-keyout", key, "-out", cert])
    assert made.returncode == 0, made.stderr
    return cert, key


def nginx_t(tree: Path, scratch: Path) -> str | None:
    return validators.nginx(validators.nginx_includes(tree, scratch), scratch)


def conf(tree: Path) -> str:
    return (tree / validators.NGINX_CONF).read_text()


def test_tls_host_with_redirect_and_locations_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path / "tls")
    tree = lower(tmp_path, f'''{{"enable": True, "open_firewall": True, "status_page": True,
        "virtual_hosts": {{"a.org": {{
            "root": "/srv/www", "force_ssl": True,
            "ssl_certificate": "{cert}", "ssl_certificate_key": "{key}",
            "locations": {{
                "/": {{"try_files": ["$uri", "$uri/", "/index.html"]}},
                "/static/": {{"alias": "/srv/static", "extra_config": "expires 7d;"}},
                "/ws/": {{"proxy_pass": "http://127.0.0.1:9000", "proxy_websockets": True}},
                "= /old": {{"return": "301 https://a.org/new"}},
                "~* \\\\.php$": {{"return": "403"}},
            }}}},
            "b.org": {{"proxy_pass": "http://127.0.0.1:8080"}}}}}}''')
    assert nginx_t(tree, tmp_path / "nginx") is None
    text = conf(tree)
    assert "listen 443 ssl http2 default_server;" in text
    assert "listen 80 default_server;" in text  # a.org is first by name
    assert "return 301 https://$host$request_uri;" in text
    assert f"ssl_certificate_key {key};" in text
    assert "alias /srv/static/;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "stub_status;" in text
    assert "allow 127.0.0.1;" in text and "deny all;" in text
    assert key.read_text() not in text


def test_self_signed_unit_makes_the_pair_nginx_then_loads(tmp_path: Path) -> None:
    """Run the first-boot unit's own command (into the test's directory): nginx -t accepts
    the certificate it makes, for every name of the host."""
    tree = lower(tmp_path, '''{"enable": True, "virtual_hosts": {"a.org": {
        "root": "/srv/www", "self_signed": True, "server_aliases": ["www.a.org"]}}}''')
    unit = (tree / "mkosi.extra" / tools.UNIT_DIR / "nginx-self-signed-a.org.service").read_text()
    assert "ConditionPathExists=!/var/lib/nginx-self-signed/a.org/cert.pem" in unit
    assert "Before=nginx.service" in unit
    assert (tree / "mkosi.extra" / tools.UNIT_DIR / "nginx.service.wants"
            / "nginx-self-signed-a.org.service").is_symlink()
    assert validators.units(tree, tmp_path / "verify", ["nginx-self-signed-a.org.service"]) is None
    command = next(line.removeprefix("ExecStart=") for line in unit.splitlines()
                   if line.startswith("ExecStart="))
    scratch = tmp_path / "state"
    (scratch / "a.org").mkdir(parents=True)
    made = tools.run(shlex.split(command.replace(SELF_SIGNED, str(scratch))))
    assert made.returncode == 0, made.stderr
    names = tools.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                       scratch / "a.org/cert.pem"])
    assert "DNS:a.org, DNS:www.a.org" in names.stdout
    text = conf(tree).replace(SELF_SIGNED, str(scratch))
    (tree / validators.NGINX_CONF).write_text(text)
    assert nginx_t(tree, tmp_path / "nginx") is None


def test_declared_host_replaces_debians_default_site(tmp_path: Path) -> None:
    tree = lower(tmp_path, '''{"enable": True, "virtual_hosts": {
        "a.org": {"root": "/srv/a"}, "b.org": {"root": "/srv/b", "default": True}}}''')
    site = tree / validators.NGINX_DIR / "sites-enabled/default"
    assert "Welcome" not in site.read_text() and "server" not in site.read_text()
    text = conf(tree)
    a_block, b_block = text.split("server {")[1:]
    assert "server_name a.org;" in a_block and "default_server" not in a_block
    assert "server_name b.org;" in b_block and "listen 80 default_server;" in b_block
    assert nginx_t(tree, tmp_path / "nginx") is None


def test_without_hosts_debians_default_site_stays(tmp_path: Path) -> None:
    tree = lower(tmp_path, '{"enable": True}')
    assert not (tree / validators.NGINX_DIR / "sites-enabled/default").exists()


def test_plain_http_host_has_no_tls(system) -> None:
    text = system('config = {"services": {"nginx": {"enable": True, "virtual_hosts": '
                  '{"a.org": {"root": "/srv"}}}}}\n').to_data()
    etc = text["environment"]["etc"]["nginx/conf.d/pydeclos.conf"]["text"]
    assert "ssl" not in etc and "443" not in etc
    assert "openssl" not in text["packages"]


def test_nginx_t_refuses_a_missing_certificate(tmp_path: Path) -> None:
    """The TLS checks above can fail: nginx -t opens the certificate it is given."""
    conf_file = tmp_path / "x.conf"
    conf_file.write_text("server {\n    listen 443 ssl;\n    ssl_certificate /nonexistent.pem;\n"
                         "    ssl_certificate_key /nonexistent.key;\n}\n")
    assert validators.nginx(conf_file, tmp_path / "nginx")


def test_recommended_settings_and_tls_pass_nginx_t_beside_debians_directives(
        tmp_path: Path) -> None:
    """Every switch on, with a TLS host: nginx -t over a main config holding Debian's
    http-level directives (a duplicate of one would fail)."""
    cert, key = certificate(tmp_path / "tls")
    tree = lower(tmp_path, f'''{{"enable": True, "recommended_gzip_settings": True,
        "recommended_proxy_settings": True, "recommended_tls_settings": True,
        "recommended_optimisation": True, "virtual_hosts": {{"a.org": {{
            "proxy_pass": "http://127.0.0.1:8080",
            "ssl_certificate": "{cert}", "ssl_certificate_key": "{key}"}}}}}}''')
    settings = (tree / validators.NGINX_DIR / "conf.d/pydeclos-settings.conf").read_text()
    for line in ["gzip_vary on;", "proxy_http_version 1.1;", "ssl_session_tickets off;",
                 "tcp_nodelay on;"]:
        assert line in settings.splitlines()
    assert "gzip on;" not in settings
    assert nginx_t(tree, tmp_path / "nginx") is None


def test_settings_off_write_no_file(system) -> None:
    data = system('config = {"services": {"nginx": {"enable": True}}}\n').to_data()
    assert "nginx/conf.d/pydeclos-settings.conf" not in data["environment"]["etc"]


RUN_MAIN = """\
user root root;
{main}"""
TEMP_PATHS = "".join(f"    {kind}_temp_path {{scratch}}/{kind};\n"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


class EchoHeaders(http.server.BaseHTTPRequestHandler):
    """A backend that answers with what the proxy told it."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = (f"path={self.path} host={self.headers['Host']} "
                f"proto={self.headers['X-Forwarded-Proto']} "
                f"real-ip={self.headers['X-Real-IP']}\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def get(port: int, host: str, path: str, tls: bool = False) -> tuple[int, str, str]:
    """(status, Location header, body) of one request to 127.0.0.1 with a Host header."""
    if tls:
        context = ssl._create_unverified_context()  # noqa: S323 (a throw-away certificate)
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=10, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": host})
    response = conn.getresponse()
    return response.status, response.getheader("Location") or "", response.read().decode()


def test_a_running_nginx_serves_what_was_declared(tmp_path: Path) -> None:
    """nginx really started on the generated files (high ports, a scratch prefix): an
    unknown name gets the default host, HTTP redirects to HTTPS, try_files falls back, the
    status page answers the machine itself."""
    tools.need("nginx", "openssl")
    cert, key = certificate(tmp_path / "tls")
    site, other = tmp_path / "site", tmp_path / "other"
    site.mkdir(), other.mkdir()
    (site / "index.html").write_text("the app shell\n")
    (site / "hello.txt").write_text("hello file\n")
    (other / "index.html").write_text("other host\n")
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    plain, secure = ports
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHeaders)
    backend_port = backend.server_address[1]
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    tree = lower(tmp_path, f'''{{"enable": True, "status_page": True, "virtual_hosts": {{
        "a.test": {{"root": "{site}", "port": {plain}, "ssl_port": {secure},
            "ssl_certificate": "{cert}", "ssl_certificate_key": "{key}",
            "force_ssl": True, "default": True,
            "locations": {{"/": {{"try_files": ["$uri", "/index.html"]}},
                           "/api/": {{"proxy_pass": "http://127.0.0.1:{backend_port}"}}}}}},
        "b.test": {{"root": "{other}", "port": {plain}}}}}}}''')
    scratch = tmp_path / "run"
    scratch.mkdir()
    (scratch / "logs").mkdir()
    main = RUN_MAIN.format(main=validators.NGINX_MAIN.format(
        scratch=scratch, conf=validators.nginx_includes(tree, scratch)))
    main = main.replace("    access_log off;\n", "    access_log off;\n"
                        + TEMP_PATHS.format(scratch=scratch))
    (scratch / "nginx.conf").write_text(main)
    server = subprocess.Popen(["nginx", "-p", f"{scratch}/", "-c", scratch / "nginx.conf",
                               "-e", "stderr", "-g", "daemon off;"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", secure), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        assert get(plain, "a.test", "/x?y=1")[:2] == (301, f"https://a.test:{secure}/x?y=1")
        assert get(secure, "a.test", "/hello.txt", tls=True) == (200, "", "hello file\n")
        assert get(secure, "a.test", "/no/such/page", tls=True)[2] == "the app shell\n"
        echoed = get(secure, "a.test", "/api/x", tls=True)[2]
        assert "path=/api/x" in echoed and "host=a.test" in echoed
        assert "proto=https" in echoed and "real-ip=127.0.0.1" in echoed
        assert get(plain, "b.test", "/")[2] == "other host\n"
        # A name no host claims gets the default host (Debian's welcome page is gone).
        assert get(plain, "unknown.test", "/")[0] == 301
        status = get(plain, "b.test", "/nginx_status")
        assert status[0] == 200 and "Active connections" in status[2]
    finally:
        backend.shutdown()
        server.terminate()
        server.wait(timeout=10)
