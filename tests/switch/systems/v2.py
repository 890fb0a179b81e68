"""Generation 2: one package and one service added, one /etc file changed, one dropped."""

imports = ["./common.py"]

config = {
    "packages": ["tree"],
    "environment": {"etc": {"swtest/changed.conf": {"text": "version 2\n"}}},
    "systemd": {"services": {"swtest-hello": {
        "description": "A service only generation 2 has",
        "type": "oneshot",
        "exec_start": ["/bin/echo hello from generation 2"],
        "service_config": {"RemainAfterExit": "yes"},
        "wanted_by": ["multi-user.target"],
    }}},
}
