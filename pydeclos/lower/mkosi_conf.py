"""image.*, packages and boot.* -> mkosi.conf and the apt sources mkosi builds from.

Only spellings that mkosi 24.3 and 25.x both parse are written: `[Distribution]
PackageManagerTrees=` (25 reads it as its old name for SandboxTrees=) and a boolean
`SplitArtifacts=`. mkosi.extra/ and mkosi.repart/ are found by their default names.
Locale, keymap, time zone and host name are deliberately not mkosi settings: mkosi would
bake them into the persistent root once, whereas pydeclos ships them as /etc links that
follow the /usr version (see etc.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydeclos.lower import validate as v
from pydeclos.lower.common import as_list, section
from pydeclos.lower.errors import UnsafeValue
from pydeclos.lower.filetree import FileTree
from pydeclos.lower.ini import render_ini

SANDBOX = "mkosi.sandbox"
SOURCES = f"{SANDBOX}/etc/apt/sources.list.d/mkosi.sources"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Parameters mkosi computes itself: it adds usrhash=/roothash= for the slot being booted.
RESERVED_PARAMS = ("mount.usr=", "mount.usrfstype=", "usrhash=", "roothash=")
_RELEASE = re.compile(r"^[a-z][a-z0-9-]*$")
_URL = re.compile(r"^(https?|file)://[^\s\"'\\]+$")
_COMPONENT = re.compile(r"^[a-z][a-z0-9-]*$")
ROLLING = ("sid", "unstable")


def release(cfg: Mapping[str, Any]) -> str:
    value = section(cfg, "image").get("release") or "trixie"
    if not isinstance(value, str) or not _RELEASE.fullmatch(value):
        raise UnsafeValue("image.release", f"{value!r} is not a release name",
                          "write a Debian code name such as 'trixie'")
    return value


def packages(cfg: Mapping[str, Any]) -> list[str]:
    """`boot.kernel_packages` + `packages`, each once, in first-occurrence order."""
    names: dict[str, None] = {}
    for field, values in (("boot.kernel_packages", section(cfg, "boot").get("kernel_packages")),
                          ("packages", cfg.get("packages"))):
        for i, name in enumerate(as_list(values)):
            names.setdefault(v.package_name(name, f"{field}[{i}]"))
    return list(names)


def removed_packages(cfg: Mapping[str, Any]) -> list[str]:
    """`packages_removed`: purged after installation (mkosi's RemovePackages=)."""
    names = [v.package_name(p, f"packages_removed[{i}]")
             for i, p in enumerate(as_list(cfg.get("packages_removed")))]
    return list(dict.fromkeys(names))


def kernel_command_line(cfg: Mapping[str, Any]) -> list[str]:
    params = []
    for i, param in enumerate(as_list(section(cfg, "boot").get("kernel_params"))):
        option = f"boot.kernel_params[{i}]"
        v.kernel_param(param, option)
        if param.startswith(RESERVED_PARAMS):
            raise UnsafeValue(option, f"{param!r} would override how the /usr slot is chosen",
                              "leave it out: mkosi adds usrhash=/roothash= for the booted slot")
        params.append(param)
    return params


def _url(value: Any, option: str) -> str:
    if not isinstance(value, str) or not _URL.fullmatch(value):
        raise UnsafeValue(option, f"{value!r} is not a mirror URL",
                          "write e.g. 'http://deb.debian.org/debian'")
    return value


def apt_sources(cfg: Mapping[str, Any]) -> str:
    """deb822 sources; this exact file name makes mkosi use it instead of its own list."""
    image = section(cfg, "image")
    name = release(cfg)
    components = [c for c in as_list(image.get("components")) or ["main"]]
    for i, component in enumerate(components):
        if not isinstance(component, str) or not _COMPONENT.fullmatch(component):
            raise UnsafeValue(f"image.components[{i}]", f"{component!r} is not a component",
                              "write e.g. 'main', 'contrib' or 'non-free-firmware'")
    stanzas = [(_url(image.get("mirror") or "http://deb.debian.org/debian", "image.mirror"),
                [name] if name in ROLLING else [name, f"{name}-updates"])]
    security = image.get("security_mirror")
    if security and name not in ROLLING:
        stanzas.append((_url(security, "image.security_mirror"), [f"{name}-security"]))
    blocks = [
        f"Types: deb\nURIs: {uri}\nSuites: {' '.join(suites)}\n"
        f"Components: {' '.join(components)}\nSigned-By: {KEYRING}\n"
        for uri, suites in stanzas
    ]
    return "\n".join(blocks)


def lower_mkosi_conf(cfg: Mapping[str, Any]) -> FileTree:
    image = section(cfg, "image")
    distribution = image.get("distribution") or "debian"
    if distribution != "debian":
        raise UnsafeValue("image.distribution", f"{distribution!r} is not supported yet",
                          "use 'debian'")
    version = image.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise UnsafeValue("image.version", f"{version!r} is not a generation number",
                          "use a positive integer")
    image_id = v.image_id(image.get("id") or "pydeclos", "image.id")
    content = [
        ("Bootable", "yes"),
        ("Bootloader", "systemd-boot"),
        ("UnifiedKernelImageFormat", "%i_%v"),
        ("WithDocs", "yes" if image.get("with_docs") else "no"),
        # Keep the dpkg database that Debian's tools and units (dpkg-db-backup.timer) expect.
        # It lives on the persistent root, so after a switch generation.json is the truth.
        ("CleanPackageMetadata", "no"),
    ]
    params = kernel_command_line(cfg)
    if params:
        content.append(("KernelCommandLine", " ".join(params)))
    content += [("Packages", name) for name in packages(cfg)]
    content += [("RemovePackages", name) for name in removed_packages(cfg)]
    text = render_ini(
        [
            ("Distribution", [("Distribution", "debian"), ("Release", release(cfg)),
                              ("PackageManagerTrees", SANDBOX)]),
            ("Output", [("Format", "disk"), ("ImageId", image_id),
                        ("ImageVersion", str(version)), ("SplitArtifacts", "yes"),
                        ("CompressOutput", "no")]),
            ("Content", content),
        ],
        header="Generated by pydeclos; do not edit. Parsed by mkosi 24.3 and 25.",
    )
    tree = FileTree()
    tree.add_text("mkosi.conf", text)
    tree.add_text(SOURCES, apt_sources(cfg))
    return tree
