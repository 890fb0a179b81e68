"""Debian packages installed in the image, and the base set every pydeclos image needs.

The base set is an ordinary definition, not a default: a system's own `packages` list is
merged with it, so users only ever add. (`mk_force([...])` replaces it, at your own risk.)

A package the image's sources cannot provide is an eval error rather than a build that
fails minutes later in apt: `pkg:i386` needs i386 in image.foreign_architectures, and a
package of contrib, non-free or non-free-firmware (pydeclos/data/<release>/components.txt)
needs that component in image.components.
"""

from pydeclos import option
from pydeclos import types as t
from pydeclos.data import package_components

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

# The image's own architecture (mkosi builds for the host's; pydeclos images are x86-64),
# and the pseudo-architecture of architecture-independent packages.
NATIVE = ("amd64", "all")


def unavailable(packages: list[str], image) -> list[str]:
    """Why each package the image's apt sources cannot install is missing from them."""
    problems = []
    components = package_components(image.release) or {}
    for entry in packages:
        name, _, arch = entry.split("=", 1)[0].partition(":")
        if arch and arch not in NATIVE and arch not in image.foreign_architectures:
            problems.append(
                f"packages has {entry!r}, but {arch} is not an architecture of the image: add "
                f"it to image.foreign_architectures (now {list(image.foreign_architectures)})")
        component = components.get(name)
        if component and component not in image.components:
            problems.append(
                f"packages has {entry!r}, which is in Debian {image.release}'s "
                f"{component} component: add {component!r} to image.components (now "
                f"{list(image.components)})")
    return problems


def config(cfg):
    problems = unavailable(cfg.packages, cfg.image)
    return {
        "packages": BASE_PACKAGES,
        "assertions": [{"assertion": False, "message": problem,
                        "options": ["packages", "image.components"
                                    if "image.components" in problem
                                    else "image.foreign_architectures"]}
                       for problem in problems],
    }
