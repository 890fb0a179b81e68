"""Immutable passwords: every boot sets the declared hashes; no hash means locked."""

config = {"users": {
    "mutable": False,
    "users": {"alice": {"is_normal_user": True, "hashed_password": "$6$s$h",
                        "ssh_authorized_keys": ["ssh-ed25519 AAAAC3Nza alice@host"]},
              "bob": {"is_normal_user": True}},
}}
