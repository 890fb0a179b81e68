"""The nginx web server, with virtual hosts that serve a directory or proxy to a backend.

Each virtual host becomes a `server` block in /etc/nginx/conf.d/pydeclos.conf, which
Debian's nginx.conf includes. Debian's own default site (sites-enabled/default) is left in
place; it only answers requests for names no virtual host claims.
"""

from pydeclos import option
from pydeclos import types as t

vhost_options = {
    "root": option(t.absolute_path | None, default=None, description=(
        "Directory whose files are served."), example="/srv/www"),
    "proxy_pass": option(t.nginx_backend | None, default=None, description=(
        "Backend URL requests are forwarded to, instead of serving `root`."),
        example="http://127.0.0.1:8080"),
    "port": option(t.Port, default=80, description="Port this virtual host listens on."),
    "server_aliases": option(list[t.server_name], default=[], description=(
        "Further names this virtual host answers to."), example=["www.example.org"]),
    "extra_config": option(t.lines, default="", description=(
        "nginx directives added inside the `server` block, verbatim."),
        example="client_max_body_size 20m;"),
}

options = {"services": {"nginx": {
    "enable": option(bool, default=False, description="Whether to run the nginx web server."),
    "open_firewall": option(bool, default=False, description=(
        "Whether to open the virtual hosts' ports in the firewall.")),
    "virtual_hosts": option(dict[t.server_name, t.submodule(vhost_options)], default={}, description=(
        "Virtual hosts, by server name."),
        example={"example.org": {"root": "/srv/www"}}),
}}}


def render_server(name: str, vhost) -> str:
    names = " ".join([name, *vhost.server_aliases])
    if vhost.proxy_pass:
        # nginx names a unix socket backend `http://unix:/path:` (a bare `unix:` is refused).
        backend = (f"http://{vhost.proxy_pass}:" if vhost.proxy_pass.startswith("unix:")
                   else vhost.proxy_pass)
        location = [f"        proxy_pass {backend};",
                    "        proxy_set_header Host $host;",
                    "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                    "        proxy_set_header X-Forwarded-Proto $scheme;"]
    else:
        location = [f"        root {vhost.root};"]
    extra = [f"    {line}" for line in vhost.extra_config.splitlines() if line.strip()]
    return "\n".join([
        "server {",
        f"    listen {vhost.port};",
        f"    listen [::]:{vhost.port};",
        f"    server_name {names};",
        *extra,
        "    location / {",
        *location,
        "    }",
        "}",
    ])


def vhost_errors(name: str, vhost) -> list[dict]:
    where = f'services.nginx.virtual_hosts."{name}"'
    if (vhost.root is None) == (vhost.proxy_pass is None):
        return [{"assertion": False, "options": [where], "message": (
            f"{where}: set exactly one of `root` (serve files) or `proxy_pass` "
            "(forward to a backend)")}]
    return []


def config(cfg):
    nginx = cfg.services.nginx
    if not nginx.enable:
        return {}
    errors = []
    for name in sorted(nginx.virtual_hosts):
        errors += vhost_errors(name, nginx.virtual_hosts[name])
    servers = [render_server(name, nginx.virtual_hosts[name])
               for name in sorted(nginx.virtual_hosts)]
    text = "\n\n".join(["# Written by pydeclos from services.nginx; change system.py instead.",
                        *servers]) + "\n"
    ports = sorted({vhost.port for vhost in nginx.virtual_hosts.values()})
    return {
        "packages": ["nginx"],
        "systemd": {"enabled": ["nginx.service"], "package_units": ["nginx.service"]},
        "environment": {"etc": {"nginx/conf.d/pydeclos.conf": {"text": text}}},
        "networking": {"firewall": {
            "allowed_tcp_ports": ports if nginx.open_firewall else [],
        }},
        "assertions": errors,
    }
