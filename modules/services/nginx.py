"""The nginx web server: virtual hosts with TLS, locations, and a default site that is ours.

Each virtual host becomes `server` blocks in /etc/nginx/conf.d/pydeclos.conf, which Debian's
nginx.conf includes. Once a virtual host is declared, Debian's own default site
(sites-enabled/default) is replaced by an empty file, so a request for an unknown name gets
the default virtual host, not "Welcome to nginx!". Certificates are paths on the machine,
never contents: a private key in the configuration would be public in every update. A
self-signed pair can be made on the machine at first boot, before nginx starts.
"""

import re

from pydeclos import option
from pydeclos import types as t

SELF_SIGNED = "/var/lib/nginx-self-signed"
# Directives nginx inherits as a whole list: one in a location hides every one of the server's.
INHERITED_LISTS = ("proxy_set_header", "add_header")

location_options = {
    "root": option(t.absolute_path | None, default=None, description=(
        "Directory the request path is appended to (`root`)."), example="/srv/www"),
    "alias": option(t.absolute_path | None, default=None, description=(
        "Directory that replaces the location's path (`alias`); a '/' is added when the "
        "location ends with one."), example="/srv/static"),
    "proxy_pass": option(t.nginx_backend | None, default=None, description=(
        "Backend URL requests are forwarded to, with the Host, X-Real-IP, X-Forwarded-For "
        "and X-Forwarded-Proto headers."), example="http://127.0.0.1:8080"),
    "proxy_websockets": option(bool, default=False, description=(
        "Whether to pass WebSocket upgrades through to `proxy_pass` (HTTP/1.1 with the "
        "Upgrade and Connection headers).")),
    "try_files": option(list[t.nginx_word], default=[], description=(
        "`try_files`: the files to try in order, the last one a fallback URI or `=code`."),
        example=["$uri", "$uri/", "/index.html"]),
    "return": option(t.nginx_return | None, default=None, description=(
        "`return`: a status code and an optional URL or text."),
        example="301 https://example.org$request_uri"),
    "extra_config": option(t.lines, default="", description=(
        "nginx directives added inside this `location` block, verbatim."),
        example="expires 7d;"),
}

vhost_options = {
    "root": option(t.absolute_path | None, default=None, description=(
        "Directory whose files are served (the server's `root`, which locations inherit)."),
        example="/srv/www"),
    "proxy_pass": option(t.nginx_backend | None, default=None, description=(
        "Backend URL requests are forwarded to, instead of serving `root` (a `/` location)."),
        example="http://127.0.0.1:8080"),
    "locations": option(dict[t.nginx_location, t.submodule(location_options)], default={},
                        description="`location` blocks, by path (`/api/`, `= /x`, `~ regex`).",
                        example={"/api/": {"proxy_pass": "http://127.0.0.1:8080"}}),
    "port": option(t.Port, default=80, description="Port this virtual host listens on for HTTP."),
    "ssl_port": option(t.Port, default=443, description="Port it listens on for HTTPS."),
    "default": option(bool, default=False, description=(
        "Whether this host answers requests for names no host claims (`default_server`). "
        "Without one, the first host by name is the default on each port.")),
    "server_aliases": option(list[t.server_name], default=[], description=(
        "Further names this virtual host answers to."), example=["www.example.org"]),
    "ssl_certificate": option(t.absolute_path | None, default=None, description=(
        "Path of the certificate (chain) on the machine; turns on HTTPS."),
        example="/etc/credstore/example.org.crt"),
    "ssl_certificate_key": option(t.absolute_path | None, default=None, description=(
        "Path of the private key on the machine (never under /usr, which is public)."),
        example="/etc/credstore/example.org.key"),
    "self_signed": option(bool, default=False, description=(
        "Whether to make a self-signed certificate on the machine at first boot (in "
        f"{SELF_SIGNED}/<name>/) and serve HTTPS with it; for tests and internal hosts.")),
    "force_ssl": option(bool, default=False, description=(
        "Whether plain HTTP only redirects to HTTPS (301); otherwise both serve the site.")),
    "http2": option(bool, default=True, description="Whether HTTPS also speaks HTTP/2."),
    "extra_config": option(t.lines, default="", description=(
        "nginx directives added inside the `server` block, verbatim."),
        example="client_max_body_size 20m;"),
}

options = {"services": {"nginx": {
    "enable": option(bool, default=False, description="Whether to run the nginx web server."),
    "open_firewall": option(bool, default=False, description=(
        "Whether to open the virtual hosts' HTTP and HTTPS ports in the firewall.")),
    "status_page": option(bool, default=False, description=(
        "Whether every virtual host answers `/nginx_status` (stub_status) to requests from "
        "the machine itself (127.0.0.1 and ::1) only.")),
    "virtual_hosts": option(dict[t.server_name, t.submodule(vhost_options)], default={}, description=(
        "Virtual hosts, by server name."),
        example={"example.org": {"root": "/srv/www"}}),
}}}

STATUS = ["    location = /nginx_status {", "        stub_status;", "        access_log off;",
          "        allow 127.0.0.1;", "        allow ::1;", "        deny all;", "    }"]


def tls(vhost) -> bool:
    return vhost.self_signed or vhost.ssl_certificate is not None


def cert_paths(name: str, vhost) -> tuple[str, str]:
    if vhost.self_signed:
        return f"{SELF_SIGNED}/{name}/cert.pem", f"{SELF_SIGNED}/{name}/key.pem"
    return vhost.ssl_certificate, vhost.ssl_certificate_key


def backend(url: str) -> str:
    # nginx names a unix socket backend `http://unix:/path:` (a bare `unix:` is refused).
    return f"http://{url}:" if url.startswith("unix:") else url


def render_proxy(url: str, websockets: bool) -> list[str]:
    lines = [f"proxy_pass {backend(url)};",
             "proxy_set_header Host $host;",
             "proxy_set_header X-Real-IP $remote_addr;",
             "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
             "proxy_set_header X-Forwarded-Proto $scheme;"]
    if websockets:
        lines += ["proxy_http_version 1.1;",
                  "proxy_set_header Upgrade $http_upgrade;",
                  "proxy_set_header Connection $pydeclos_connection_upgrade;"]
    return lines


def render_location(path: str, loc) -> list[str]:
    body = []
    if loc.root:
        body.append(f"root {loc.root};")
    if loc.alias:
        slash = "/" if path.endswith("/") and loc.alias != "/" else ""
        body.append(f"alias {loc.alias}{slash};")
    if loc.proxy_pass:
        body += render_proxy(loc.proxy_pass, loc.proxy_websockets)
    if loc.try_files:
        body.append(f"try_files {' '.join(loc.try_files)};")
    if getattr(loc, "return"):
        body.append(f"return {getattr(loc, 'return')};")
    body += [line.strip() for line in loc.extra_config.splitlines() if line.strip()]
    return [f"    location {path} {{", *(f"        {line}" for line in body), "    }"]


def locations(vhost) -> dict:
    """The vhost's locations, with `proxy_pass` as the `/` location."""
    found = dict(vhost.locations)
    if vhost.proxy_pass and "/" not in found:
        found["/"] = None
    return found


def render_content(name: str, vhost, status: bool) -> list[str]:
    lines = [f"    root {vhost.root};"] if vhost.root else []
    if status:
        lines += STATUS
    lines += [f"    {line}" for line in vhost.extra_config.splitlines() if line.strip()]
    for path, loc in sorted(locations(vhost).items()):
        if loc is None:
            lines += ["    location / {", *(f"        {line}" for line in
                                            render_proxy(vhost.proxy_pass, False)), "    }"]
        else:
            lines += render_location(path, loc)
    return lines


def render_server(name: str, vhost, defaults: set, status: bool) -> str:
    names = f"    server_name {' '.join([name, *vhost.server_aliases])};"
    http = [f"    listen {vhost.port}{' default_server' if vhost.port in defaults else ''};",
            f"    listen [::]:{vhost.port}{' default_server' if vhost.port in defaults else ''};"]
    if not tls(vhost):
        return "\n".join(["server {", *http, names, *render_content(name, vhost, status), "}"])
    flags = " ssl" + (" http2" if vhost.http2 else "") + (
        " default_server" if vhost.ssl_port in defaults else "")
    cert, key = cert_paths(name, vhost)
    https = ["server {", f"    listen {vhost.ssl_port}{flags};",
             f"    listen [::]:{vhost.ssl_port}{flags};", names,
             f"    ssl_certificate {cert};", f"    ssl_certificate_key {key};",
             *render_content(name, vhost, status), "}"]
    if vhost.force_ssl:
        port = "" if vhost.ssl_port == 443 else f":{vhost.ssl_port}"
        plain = ["server {", *http, names, *(STATUS if status else []),
                 "    location / {", f"        return 301 https://$host{port}$request_uri;",
                 "    }", "}"]
    else:
        plain = ["server {", *http, names, *render_content(name, vhost, status), "}"]
    return "\n".join(plain) + "\n\n" + "\n".join(https)


def default_ports(nginx) -> dict[str, set]:
    """Per host, the ports it is `default_server` on: the host marked `default`, else the
    first host by name that listens there."""
    chosen: dict[int, str] = {}
    for name in sorted(sorted(nginx.virtual_hosts), key=lambda n: not nginx.virtual_hosts[n].default):
        vhost = nginx.virtual_hosts[name]
        for port in [vhost.port, *([vhost.ssl_port] if tls(vhost) else [])]:
            chosen.setdefault(port, name)
    return {name: {p for p, n in chosen.items() if n == name} for name in nginx.virtual_hosts}


def directives(text: str) -> set[str]:
    return {line.split()[0] for line in text.splitlines() if line.split()}


def location_errors(where: str, path: str, loc) -> list[str]:
    errors = []
    if loc.root and loc.alias:
        errors.append(f"{where}: set one of `root` or `alias`, not both")
    if len(loc.try_files) == 1:
        errors.append(f"{where}.try_files needs at least two entries: the files to try, then "
                      "a fallback (a URI such as `/index.html`, or `=404`)")
    if loc.proxy_websockets and not loc.proxy_pass:
        errors.append(f"{where}.proxy_websockets needs `proxy_pass`")
    return errors


def vhost_errors(name: str, vhost) -> list[dict]:
    where = t.entry_path("services.nginx.virtual_hosts", name)
    errors = []
    if vhost.root is not None and vhost.proxy_pass is not None or (
            vhost.root is None and vhost.proxy_pass is None and not vhost.locations):
        errors.append(f"{where}: set exactly one of `root` (serve files) or `proxy_pass` "
                      "(forward to a backend), or declare `locations`")
    if vhost.proxy_pass and "/" in vhost.locations:
        errors.append(f"{where}: `proxy_pass` is the `/` location, and `locations.\"/\"` "
                      "is declared too; move `proxy_pass` into it")
    for path in sorted(vhost.locations):
        errors += location_errors(f"{where}.locations.\"{path}\"", path, vhost.locations[path])
    errors += tls_errors(where, name, vhost)
    errors += extra_config_errors(where, vhost)
    return [{"assertion": False, "options": [where], "message": m} for m in errors]


def tls_errors(where: str, name: str, vhost) -> list[str]:
    cert, key = vhost.ssl_certificate, vhost.ssl_certificate_key
    if vhost.self_signed and (cert or key):
        return [f"{where}: `self_signed` makes its own certificate; remove "
                "`ssl_certificate`/`ssl_certificate_key` or `self_signed`"]
    if vhost.self_signed and not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        return [f"{where}: `self_signed` needs a plain host name, not a wildcard or regex"]
    if (cert is None) != (key is None):
        return [f"{where}: give both `ssl_certificate` and `ssl_certificate_key`"]
    if key and (key == "/usr" or key.startswith("/usr/")):
        return [f"{where}.ssl_certificate_key = {key!r} is inside /usr, which every update "
                "publishes: keep the key on the machine (e.g. /etc/credstore/) or use "
                "`self_signed`; see docs/security.md"]
    if vhost.force_ssl and not tls(vhost):
        return [f"{where}.force_ssl needs a certificate: set `ssl_certificate` and "
                "`ssl_certificate_key`, or `self_signed`"]
    if tls(vhost) and vhost.ssl_port == vhost.port:
        return [f"{where}: `port` and `ssl_port` are both {vhost.port}"]
    return []


def extra_config_errors(where: str, vhost) -> list[str]:
    """What pydeclos writes must not silently replace or clash with the server's own lines."""
    errors = []
    server = directives(vhost.extra_config)
    if vhost.root and "root" in server:
        errors.append(f"{where}: `extra_config` sets `root` and so does `root`; keep one")
    written = {p for p, loc in locations(vhost).items() if loc is None or loc.proxy_pass}
    hidden = sorted(server & set(INHERITED_LISTS))
    if written and hidden:
        errors.append(
            f"{where}.extra_config sets {', '.join(hidden)}, which nginx drops in the proxied "
            f"location(s) {', '.join(sorted(written))} where pydeclos sets its own proxy "
            "headers; put those lines in the location's `extra_config` instead")
    for path in locations(vhost):
        pattern = r"(?m)^\s*location\s+" + re.escape(path).replace(r"\ ", r"\s+") + r"\s*\{"
        if re.search(pattern, vhost.extra_config):
            errors.append(f"{where}.extra_config declares `location {path}`, which "
                          f"`locations.\"{path}\"` (or `proxy_pass`) declares too; keep one")
    return errors


def port_errors(hosts) -> list[dict]:
    """nginx decides TLS per listening socket: one port cannot be HTTP for one host and
    HTTPS for another."""
    plain = {v.port: n for n, v in sorted(hosts.items())}
    secure = {v.ssl_port: n for n, v in sorted(hosts.items()) if tls(v)}
    return [{"assertion": False, "options": [
        t.entry_path("services.nginx.virtual_hosts", plain[port]),
        t.entry_path("services.nginx.virtual_hosts", secure[port])], "message": (
            f"port {port} is HTTP for virtual host {plain[port]!r} and HTTPS for "
            f"{secure[port]!r}; give one of them another `port` or `ssl_port`")}
            for port in sorted(set(plain) & set(secure))]


def self_signed_unit(name: str, vhost) -> dict:
    cert, key = cert_paths(name, vhost)
    plain = [n for n in [name, *vhost.server_aliases] if not n.startswith("~")]
    san = ",".join(f"DNS:{n}" for n in plain)
    return {
        "description": f"Self-signed TLS certificate for {name}",
        "type": "oneshot",
        "before": ["nginx.service"],
        "wanted_by": ["nginx.service"],
        "unit_config": {"ConditionPathExists": f"!{cert}"},
        "exec_start": [f"/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 3650 "
                       f"-subj /CN={name} -addext subjectAltName={san} "
                       f"-keyout {key} -out {cert}"],
        "service_config": {"StateDirectory": f"nginx-self-signed/{name}",
                           "StateDirectoryMode": "0700", "UMask": "0077"},
    }


def config(cfg):
    nginx = cfg.services.nginx
    if not nginx.enable:
        return {}
    hosts = nginx.virtual_hosts
    errors = []
    for name in sorted(hosts):
        errors += vhost_errors(name, hosts[name])
    if len([n for n in hosts if hosts[n].default]) > 1:
        errors.append({"assertion": False, "options": [
            t.entry_path("services.nginx.virtual_hosts", n) for n in sorted(hosts)
            if hosts[n].default], "message": "more than one virtual host has `default`"})
    errors += port_errors(hosts)
    if errors:
        return {"assertions": errors}
    defaults = default_ports(nginx)
    websockets = any(loc.proxy_websockets for v in hosts.values() for loc in v.locations.values())
    head = ["# Written by pydeclos from services.nginx; change system.py instead."]
    if websockets:
        head.append("map $http_upgrade $pydeclos_connection_upgrade {\n"
                    "    default upgrade;\n    '' close;\n}")
    servers = [render_server(n, hosts[n], defaults[n], nginx.status_page) for n in sorted(hosts)]
    etc = {"nginx/conf.d/pydeclos.conf": {"text": "\n\n".join([*head, *servers]) + "\n"}}
    if hosts:
        etc["nginx/sites-enabled/default"] = {"text": (
            "# Debian's default site is off: services.nginx.virtual_hosts declares the sites.\n")}
    ports = sorted({p for v in hosts.values() for p in [v.port, *([v.ssl_port] if tls(v) else [])]})
    signed = {f"nginx-self-signed-{n}": self_signed_unit(n, hosts[n])
              for n in sorted(hosts) if hosts[n].self_signed}
    return {
        "packages": ["nginx", *(["openssl"] if signed else [])],
        "systemd": {"enabled": ["nginx.service"], "package_units": ["nginx.service"],
                    "services": signed},
        "environment": {"etc": etc},
        "networking": {"firewall": {
            "allowed_tcp_ports": ports if nginx.open_firewall else [],
        }},
    }
