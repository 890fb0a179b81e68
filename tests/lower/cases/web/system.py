"""nginx with TLS (self-signed at first boot), locations, the status page and the
recommended settings; sudo with a rule. The review surface for what they write."""

config = {
    "users": {"groups": {"deploy": {}}},
    "security": {"sudo": {
        "enable": True,
        "wheel_needs_password": False,
        "extra_rules": [{"groups": ["deploy"], "run_as": "root", "commands": [
            {"command": "/usr/bin/systemctl restart nginx.service", "options": ["NOPASSWD"]}]}],
    }},
    "services": {"nginx": {
        "enable": True,
        "open_firewall": True,
        "status_page": True,
        "recommended_gzip_settings": True,
        "recommended_tls_settings": True,
        "virtual_hosts": {
            "www.example.test": {
                "root": "/srv/www",
                "self_signed": True,
                "force_ssl": True,
                "default": True,
                "locations": {
                    "/": {"try_files": ["$uri", "$uri/", "/index.html"]},
                    "/app/": {"proxy_pass": "http://127.0.0.1:8080", "proxy_websockets": True},
                },
            },
            "plain.example.test": {"root": "/srv/plain"},
        },
    }},
}
