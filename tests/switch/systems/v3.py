"""Generation 3: generation 2 with a health check that always fails."""

imports = ["./v2.py"]

config = {"pydeclos": {"health_checks": {"commands": ["test -e /etc/swtest/never-there"]}}}
