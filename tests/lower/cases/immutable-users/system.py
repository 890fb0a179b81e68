"""Immutable passwords: every boot sets the hashes from the declared files; no file means
locked."""

config = {"users": {
    "mutable": False,
    "users": {"alice": {"is_normal_user": True, "hashed_password_file": "/etc/credstore/alice.hash",
                        "ssh_authorized_keys": ["ssh-ed25519 AAAAC3Nza alice@host"]},
              "bob": {"is_normal_user": True}},
}}
