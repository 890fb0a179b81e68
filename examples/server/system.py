"""A small web server: two sites on nginx, two admins, a data disk and a nightly backup.

Try:  pydeclos eval examples/server/system.py --option networking.firewall
"""

from typing import TYPE_CHECKING

from pydeclos import mk_default

if TYPE_CHECKING:  # `pydeclos stubs` writes these types (docs/editors.md)
    from pydeclos_config import Config

ALICE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFsaWNlc2tleWZvcnRoZXNlcnZlcmV4YW1wbGU alice@laptop"
BOB_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJvYnNrZXlmb3J0aGVzZXJ2ZXJleGFtcGxlcw bob@desk"


def config(cfg) -> "Config":
    return {
        "networking": {
            "hostname": "web1",
            "domain": "example.org",
            "firewall": {
                # The monitoring host may scrape the node exporter; nginx opens 80 itself.
                "extra_rules": "ip saddr 192.0.2.50 tcp dport 9100 accept",
            },
        },
        "time": {"timezone": mk_default("Europe/Berlin")},
        "packages": ["htop", "rsync"],
        "users": {
            "groups": {"deploy": {}},
            "users": {
                "alice": {"is_normal_user": True, "description": "Alice (admin)",
                          "extra_groups": ["sudo", "systemd-journal"],
                          "ssh_authorized_keys": [ALICE_KEY]},
                "bob": {"is_normal_user": True, "description": "Bob (deploys the sites)",
                        "extra_groups": ["deploy", "www-data"],
                        "ssh_authorized_keys": [BOB_KEY]},
            },
        },
        "services": {
            "openssh": {"enable": True, "settings": {"AllowGroups": ["sudo", "deploy"]}},
            "nginx": {
                "enable": True,
                "open_firewall": True,
                "virtual_hosts": {
                    # Answers requests for names no host claims (e.g. the bare IP address).
                    "example.org": {"root": "/srv/data/www", "server_aliases": ["www.example.org"],
                                    "default": True},
                    "api.example.org": {"proxy_pass": "http://127.0.0.1:8080"},
                },
            },
            "cron_jobs": {
                "backup-etc": {
                    "description": "Nightly copy of /etc to the data disk",
                    "schedule": "*-*-* 03:30:00",
                    "command": "mkdir -p /srv/data/backup\n"
                               "tar czf /srv/data/backup/etc-$(date +%F).tgz -C / etc",
                },
            },
        },
        # `nofail`: the machine still boots (degraded) when the data disk is missing.
        "file_systems": {"/srv/data": {"device": "LABEL=data", "fs_type": "ext4",
                                       "options": ["noatime", "nofail"]}},
    }
