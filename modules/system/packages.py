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


def _foreign_arch(entry: str, image) -> str:
    """The architecture `entry` (`pkg:arch[=version]`) names, if the image lacks it."""
    arch = entry.split("=", 1)[0].partition(":")[2]
    return arch if arch and arch not in NATIVE and arch not in image.foreign_architectures else ""


def unavailable(cfg) -> list[tuple[str, str, str]]:
    """(option, option that would provide it, why) for each package entry the image's apt
    sources cannot provide."""
    image = cfg.image
    problems = []
    components = package_components(image.release) or {}
    for entry in cfg.packages:
        arch = _foreign_arch(entry, image)
        if arch:
            problems.append(("packages", "image.foreign_architectures", (
                f"packages has {entry!r}, but {arch} is not an architecture of the image: add "
                f"it to image.foreign_architectures (now {list(image.foreign_architectures)})")))
        component = components.get(entry.split("=", 1)[0].partition(":")[0])
        if component and component not in image.components:
            problems.append(("packages", "image.components", (
                f"packages has {entry!r}, which is in Debian {image.release}'s "
                f"{component} component: add {component!r} to image.components (now "
                f"{list(image.components)})")))
    for entry in cfg.packages_removed:
        arch = _foreign_arch(entry, image)
        if arch:
            problems.append(("packages_removed", "image.foreign_architectures", (
                f"packages_removed has {entry!r}, but {arch} is not an architecture of the "
                f"image, so nothing of it is installed: drop the entry or add {arch} to "
                "image.foreign_architectures")))
    return problems


def config(cfg):
    return {
        "packages": BASE_PACKAGES,
        "assertions": [{"assertion": False, "message": why, "options": [option, provider]}
                       for option, provider, why in unavailable(cfg)],
    }
