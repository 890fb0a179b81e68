"""A generation as `plan` and `diff` compare it: the same shape from a build output or a machine.

`system` is the lowering's manifest (/usr/share/pydeclos/generation.json in the image,
`system."generation.json"` in a build output's generation.json): declared units with their
hashes, /etc entries, packages, kernel command line. `packages` are the installed package
versions when known (mkosi's manifest), else None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KERNEL_PREFIX = "linux-image-"


@dataclass(frozen=True)
class Description:
    """One generation: identity, packages, kernel, and the lowering's manifest."""

    image_id: str
    version: int
    where: str  # a path or "running system", for messages
    system: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, str] | None = None
    kernel_release: str | None = None
    usrhash: str | None = None

    @property
    def units(self) -> dict[str, str]:
        return dict(self.system.get("units") or {})

    @property
    def etc(self) -> dict[str, dict[str, Any]]:
        return dict(self.system.get("etc") or {})

    @property
    def command_line(self) -> list[str]:
        return list(self.system.get("kernel_command_line") or [])

    @property
    def declared_packages(self) -> list[str]:
        return list(self.system.get("packages") or [])


def kernel_release_of(packages: dict[str, str]) -> str | None:
    """`uname -r` of the installed kernel: `linux-image-6.12.1+deb13-cloud-amd64` -> the rest."""
    releases = sorted(name.removeprefix(KERNEL_PREFIX) for name in packages
                      if name.startswith(KERNEL_PREFIX) and name[len(KERNEL_PREFIX):][:1].isdigit())
    return releases[-1] if releases else None
