"""The image itself: distribution, mirrors, identity, version and partition sizes.

These are read by the lowering into mkosi.conf, the apt sources and the repart layout.
Sizes are fixed because both /usr slots must hold the *next* version too.
"""

import re
from typing import Literal

from pydeclos import option

SIZE = re.compile(r"^[1-9][0-9]*[KMGT]?$")
IMAGE_ID = re.compile(r"^[a-z0-9_-]+$")

options = {"image": {
    "distribution": option(Literal["debian"], default="debian", description=(
        "Distribution the image is built from (only Debian is supported so far).")),
    "release": option(str, default="trixie", description=(
        "Distribution release (Debian code name)."), example="trixie"),
    "mirror": option(str, default="http://deb.debian.org/debian", description=(
        "Debian mirror for the main archive (and `<release>-updates`).")),
    "security_mirror": option(str | None, default="http://deb.debian.org/debian-security",
                              description=("Mirror for `<release>-security`; None leaves "
                                           "security updates out (e.g. for an offline mirror).")),
    "components": option(list[str], default=["main"], description=(
        "Archive components to use."), example=["main", "contrib", "non-free-firmware"]),
    "id": option(str, default="pydeclos", description=(
        "ImageId: names the artifacts (`<id>_<version>.efi`), partition labels and the "
        "update files; lowercase letters, digits, `_` and `-`.")),
    "version": option(int, default=1, description=(
        "ImageVersion, i.e. the generation number; `pydeclos build --version` overrides it.")),
    "layout": option(Literal["usr", "root"], default="usr", description=(
        "`usr`: A/B read-only /usr (erofs + dm-verity) with a persistent root; `root`: A/B "
        "whole root with persistent /var and /home.")),
    "esp_size": option(str, default="256M", description=(
        "EFI system partition size; it holds two unified kernel images (~60M each).")),
    "usr_size": option(str, default="1G", description="Size of each /usr slot."),
    "usr_verity_size": option(str, default="64M", description="Size of each verity hash slot."),
    "root_size": option(str, default="512M", description=(
        "Initial size of the persistent root partition.")),
    "with_docs": option(bool, default=False, description=(
        "Whether to keep man pages and /usr/share/doc in the image.")),
}}


def config(cfg):
    image = cfg.image
    errors = []
    if not IMAGE_ID.match(image.id):
        errors.append(f"image.id = {image.id!r}: use only lowercase letters, digits, `_` and "
                      "`-` (it becomes file names and partition labels)")
    if image.version < 1:
        errors.append(f"image.version = {image.version}: generations are numbered from 1")
    for name in ("esp_size", "usr_size", "usr_verity_size", "root_size"):
        value = getattr(image, name)
        if not SIZE.match(value):
            errors.append(f"image.{name} = {value!r}: write a size like `512M` or `2G` "
                          "(a number with an optional K, M, G or T suffix)")
    for name in ("mirror", "security_mirror"):
        value = getattr(image, name)
        if value is not None and not re.match(r"^(https?|file)://\S+$", value):
            errors.append(f"image.{name} = {value!r}: expected an http://, https:// or "
                          "file:// URL")
    return {"assertions": [{"assertion": False, "message": m} for m in errors]}
