"""Debian packages installed in the image, and the base set every pydeclos image needs.

The base set is an ordinary definition, not a default: a system's own `packages` list is
merged with it, so users only ever add. (`mk_force([...])` replaces it, at your own risk.)
"""

from pydeclos import option
from pydeclos import types as t

# What an A/B image needs to boot, update itself and switch (see docs/topics/system.md):
# systemd-boot and its EFI binaries, systemd-repart for first boot, sysupdate (shipped in
# systemd-container in trixie), veritysetup for preparing the next /usr, and kexec.
BASE_PACKAGES = [
    "systemd",
    "systemd-sysv",
    "systemd-boot",
    "systemd-boot-efi",
    "systemd-container",
    "systemd-cryptsetup",
    "systemd-repart",
    "udev",
    "dbus",
    "cryptsetup-bin",
    "kexec-tools",
    "util-linux",
    "mount",
    "e2fsprogs",
]


def first_occurrences(names: list[str]) -> list[str]:
    """De-duplicate, keeping the first occurrence, so the order stays the definition order."""
    return list(dict.fromkeys(names))


options = {
    "packages": option(list[t.package], default=[], apply=first_occurrences, description=(
        "Debian packages to install in the image (with their dependencies). The list always "
        "starts with the base set pydeclos needs to boot and update; modules add what their "
        "services need; duplicates are dropped."), example=["htop", "curl"]),
    "packages_removed": option(list[t.package], default=[], description=(
        "Packages removed from the image after everything is installed (mkosi's "
        "RemovePackages=), e.g. a dependency you do not want shipped."), example=["vim-tiny"]),
}

config = {"packages": BASE_PACKAGES}
