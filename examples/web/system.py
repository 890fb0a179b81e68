"""A web server: two TLS sites on nginx, one static and one proxied to a local backend,
sudo for the admins, a static address through systemd-networkd, and swap in zram.

Try:  pydeclos eval examples/web/system.py --option services.nginx.virtual_hosts
      sudo pydeclos vm examples/web/system.py --forward 8443:443
Each site's certificate is made on the machine at its first boot (self-signed), so no
private key is in /usr or in any update.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `pydeclos stubs` writes these types (docs/editors.md)
    from pydeclos_config import Config


ALICE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFsaWNlc2tleWZvcnRoZXdlYmV4YW1wbGUxMjM alice@laptop"

SITE = "/usr/share/www/www.example.test"
BACKEND = "/usr/share/www/backend"


def config(cfg) -> "Config":
    return {
        "networking": {"hostname": "web", "domain": "example.test"},
        # qemu's user network: 10.0.2.0/24, gateway .2, DNS .3 (a real server: its own).
        "systemd": {
            "network": {"networks": {"10-lan": {
                "match": {"name": ["en*"]},
                "address": ["10.0.2.15/24"],
                "gateway": ["10.0.2.2"],
                "dns": ["10.0.2.3"],
            }}},
            "services": {"hello-backend": {
                "description": "The application behind app.example.test",
                "path": ["python3"],
                "environment": {"PORT": 8080},
                "script": f"exec python3 -m http.server --bind 127.0.0.1 --directory {BACKEND} \"$PORT\"",
                "wanted_by": ["multi-user.target"],
            }},
        },
        "files": {"usr": {
            "share/www/www.example.test/index.html": {"text": "<h1>www.example.test</h1>\n"},
            "share/www/backend/hello.txt": {"text": "hello from the backend\n"},
        }},
        "packages": ["curl"],
        "zram_swap": {"enable": True},
        "users": {"users": {"alice": {
            "is_normal_user": True,
            "description": "Alice (admin)",
            "extra_groups": ["sudo"],
            "ssh_authorized_keys": [ALICE_KEY],
        }}},
        "security": {"sudo": {"enable": True, "wheel_needs_password": False}},
        "services": {
            "openssh": {"enable": True},
            "nginx": {
                "enable": True,
                "open_firewall": True,
                "recommended_tls_settings": True,
                "recommended_proxy_settings": True,
                "virtual_hosts": {
                    "www.example.test": {
                        "default": True,
                        "root": SITE,
                        "self_signed": True,
                        "force_ssl": True,
                        "locations": {"/": {"try_files": ["$uri", "$uri/", "/index.html"]}},
                    },
                    "app.example.test": {
                        "self_signed": True,
                        "force_ssl": True,
                        "locations": {"/": {"proxy_pass": "http://127.0.0.1:8080"}},
                    },
                },
            },
        },
    }
