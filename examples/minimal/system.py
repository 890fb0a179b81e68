"""A minimal system: a hostname, one user with an SSH key, OpenSSH, a tmpfs at /srv/scratch."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `pydeclos stubs` writes these types (docs/editors.md)
    from pydeclos_config import Config


def config(cfg) -> "Config":
    return {
        "networking": {"hostname": "minimal"},
        "users": {"users": {"alice": {
            "is_normal_user": True,
            "extra_groups": ["sudo"],
            "ssh_authorized_keys": [
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5Zm9ycHlkZWNsb3NleGFtcGxlcw alice@example",
            ],
        }}},
        "services": {"openssh": {"enable": True}},
        "file_systems": {"/srv/scratch": {"device": "tmpfs", "fs_type": "tmpfs",
                                          "options": ["size=64M", "mode=1777"]}},
    }
