"""A system that uses a module from an installed library (`pip install examples/shared-library`).

The name "hardening" is looked up in the `pydeclos.modules` entry points, so the library's
options (`security.hardening.*`) are declared as if they were part of the standard library.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `pydeclos stubs` writes these types (docs/editors.md)
    from pydeclos_config import Config


imports = ["hardening"]


def config(cfg) -> "Config":
    return {
        "networking": {"hostname": "hardened"},
        "security": {"hardening": {"enable": True}},
        "users": {"users": {"alice": {
            "is_normal_user": True,
            "extra_groups": ["sudo"],
            "ssh_authorized_keys": [
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhhcmRlbmVkZXhhbXBsZWtleWZvcmFsaWNlcw "
                "alice@example",
            ],
        }}},
        "services": {"openssh": {"enable": True}},
    }
