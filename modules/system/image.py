"""The image itself: distribution, mirrors, identity, version and partition sizes.

`image.*` is a sink: lowering writes it into mkosi.conf, the apt sources, the repart
layout and the sysupdate definitions, as it is. Sizes are fixed because both /usr slots
must hold the *next* version too.
"""

from typing import Literal

from pydeclos import option
from pydeclos import types as t

options = {"image": {
    "distribution": option(Literal["debian"], default="debian", description=(
        "Distribution the image is built from (only Debian is supported so far).")),
    "release": option(t.release, default="trixie", description=(
        "Distribution release (Debian code name)."), example="trixie"),
    "mirror": option(t.mirror_url, default="http://deb.debian.org/debian", description=(
        "Debian mirror for the main archive (and `<release>-updates`).")),
    "security_mirror": option(t.mirror_url | None, default="http://deb.debian.org/debian-security",
                              description=("Mirror for `<release>-security`; None leaves "
                                           "security updates out (e.g. for an offline mirror).")),
    "components": option(list[t.component], default=["main"], description=(
        "Archive components to use."), example=["main", "contrib", "non-free-firmware"]),
    "id": option(t.image_id, default="pydeclos", description=(
        "ImageId: names the artifacts (`<id>_<version>.efi`), partition labels and the "
        "update files; lowercase letters, digits, `_` and `-`.")),
    "version": option(t.positive, default=1, description=(
        "ImageVersion, i.e. the generation number; `pydeclos build --version` overrides it.")),
    "layout": option(Literal["usr", "root"], default="usr", description=(
        "`usr`: A/B read-only /usr (erofs + dm-verity) with a persistent root; `root`: A/B "
        "whole root with persistent /var and /home.")),
    "esp_size": option(t.size, default="256M", description=(
        "EFI system partition size; it holds two unified kernel images (~60M each).")),
    "usr_size": option(t.size, default="1G", description="Size of each /usr slot."),
    "usr_verity_size": option(t.size, default="64M", description="Size of each verity hash slot."),
    "root_size": option(t.size, default="512M", description=(
        "Initial size of the persistent root partition.")),
    "with_docs": option(bool, default=False, description=(
        "Whether to keep man pages and /usr/share/doc in the image.")),
}}
