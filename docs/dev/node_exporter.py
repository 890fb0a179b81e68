"""Prometheus' node exporter: machine metrics over HTTP for a monitoring server to scrape.

The worked example of docs/dev/service-module.md: a package, a unit, a system user, a
state directory, an /etc file and a firewall port, from one file. Add it to the library by
copying it to modules/services/ and listing it in modules/module_list.py.
"""

from pydeclos import option
from pydeclos import types as t

options = {"services": {"node_exporter": {
    "enable": option(bool, default=False, description="Whether to run the node exporter."),
    "port": option(t.Port, default=9100, description="Port the metrics are served on."),
    "open_firewall": option(bool, default=False, description=(
        "Whether to open `port` in the firewall (to everyone; prefer "
        "`networking.firewall.extra_rules` to allow only the monitoring host).")),
    "collectors": option(list[t.word], default=["systemd"], description=(
        "Collectors to enable besides the defaults (`--collector.<name>`)."),
        example=["systemd", "processes"]),
}}}

STATE = "/var/lib/node-exporter"


def render_web_config() -> str:
    """--web.config.file: an empty file means plain HTTP without authentication."""
    return "# Written by pydeclos from services.node_exporter.\n"


def config(cfg):
    exporter = cfg.services.node_exporter
    if not exporter.enable:
        return {}
    flags = [f"--web.listen-address=:{exporter.port}",
             "--web.config.file=/etc/node-exporter/web.yml",
             f"--collector.textfile.directory={STATE}",
             *(f"--collector.{name}" for name in exporter.collectors)]
    web_config = render_web_config()
    return {
        "packages": ["prometheus-node-exporter"],
        "users": {"users": {"node-exporter": {"is_system_user": True,
                                              "description": "Prometheus node exporter"}}},
        "systemd": {
            # The package's own unit would listen on the same port: ours replaces it.
            "disabled": ["prometheus-node-exporter.service"],
            "package_units": ["prometheus-node-exporter.service"],
            "tmpfiles": {"settings": {STATE: {"d": {"mode": "0755", "user": "node-exporter",
                                                    "group": "nogroup"}}}},
            "services": {"node-exporter": {
                "description": "Prometheus node exporter",
                "after": ["network.target"],
                "wanted_by": ["multi-user.target"],
                "exec_start": [" ".join(["/usr/bin/prometheus-node-exporter", *flags])],
                "user": "node-exporter",
                "restart": "on-failure",
                "no_new_privileges": True,
                "protect_system": "strict",
                "restart_triggers": [web_config],
            }},
        },
        "environment": {"etc": {"node-exporter/web.yml": {"text": web_config}}},
        "networking": {"firewall": {
            "allowed_tcp_ports": [exporter.port] if exporter.open_firewall else [],
        }},
    }
