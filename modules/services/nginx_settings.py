"""nginx's recommended settings switches, as NixOS' `services.nginx.recommended*Settings`.

Each switch adds http-level directives to /etc/nginx/conf.d/pydeclos-settings.conf. Debian's
nginx.conf already sets some (`gzip on`, `sendfile`, `tcp_nopush`, `ssl_protocols`,
`ssl_prefer_server_ciphers`): a second one would stop nginx, so those are left out.
"""

from pydeclos import option

GZIP = ["gzip_vary on;", "gzip_proxied any;", "gzip_comp_level 5;", "gzip_min_length 256;",
        "gzip_types text/css text/plain text/xml text/javascript application/javascript "
        "application/json application/xml application/rss+xml application/wasm "
        "image/svg+xml;"]
PROXY = ["proxy_http_version 1.1;", "proxy_redirect off;", "proxy_connect_timeout 60s;",
         "proxy_send_timeout 60s;", "proxy_read_timeout 60s;"]
# Mozilla's "intermediate" profile: TLS 1.2 ciphers with forward secrecy only, which also
# leaves TLS 1.0 and 1.1 (still in Debian's ssl_protocols) nothing to negotiate.
TLS = ["ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
       "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
       "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
       "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384;",
       "ssl_session_timeout 1d;", "ssl_session_cache shared:SSL:10m;",
       "ssl_session_tickets off;"]
OPTIMISATION = ["tcp_nodelay on;", "keepalive_timeout 65;",
                "open_file_cache max=1000 inactive=20s;", "open_file_cache_valid 30s;",
                "open_file_cache_min_uses 2;"]

options = {"services": {"nginx": {
    "recommended_gzip_settings": option(bool, default=False, description=(
        "Whether to compress text types too (CSS, JavaScript, JSON, XML, SVG) at level 5, "
        "for proxied responses as well (Debian compresses only HTML).")),
    "recommended_proxy_settings": option(bool, default=False, description=(
        "Whether to speak HTTP/1.1 to backends with 60 s timeouts and no Location rewriting.")),
    "recommended_tls_settings": option(bool, default=False, description=(
        "Whether to use Mozilla's intermediate ciphers, a shared session cache and no "
        "session tickets.")),
    "recommended_optimisation": option(bool, default=False, description=(
        "Whether to set tcp_nodelay, a 65 s keep-alive and an open-file cache.")),
}}}


def render_settings(nginx) -> list[str]:
    return [*(GZIP if nginx.recommended_gzip_settings else []),
            *(PROXY if nginx.recommended_proxy_settings else []),
            *(TLS if nginx.recommended_tls_settings else []),
            *(OPTIMISATION if nginx.recommended_optimisation else [])]


def config(cfg):
    nginx = cfg.services.nginx
    lines = render_settings(nginx)
    if not nginx.enable or not lines:
        return {}
    text = "\n".join(["# Written by pydeclos from services.nginx.recommended_*.", *lines])
    return {"environment": {"etc": {"nginx/conf.d/pydeclos-settings.conf": {"text": text + "\n"}}}}
