"""The image itself: distribution, mirrors, identity, version and partition sizes.

`image.*` is a sink: lowering writes it into mkosi.conf, the apt sources, the repart
layout and the sysupdate definitions, as it is. Sizes are fixed because both /usr slots
must hold the *next* version too. The verity hash slot follows the /usr slot size, so that
a full slot never fails the build minutes in with repart's "Verity hash data does not fit".
"""

from typing import Literal

from pydeclos import mk_default, option
from pydeclos import types as t

# The architectures of Debian trixie's archive other than the image's own (amd64).
DEBIAN_ARCHITECTURE = Literal["i386", "arm64", "armel", "armhf", "ppc64el", "riscv64", "s390x"]
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# systemd-repart 254 (mkosi 24.3 on a bookworm host) hashes 512-byte data blocks into
# 512-byte hash blocks with sha256, behind one 512-byte verity superblock; later repart
# versions use blocks at least as big, so this is the most a slot can need.
VERITY_BLOCK = 512
DIGEST = 32
GRAIN = 4096  # repart aligns partition sizes to 4 KiB


def size_bytes(size: str) -> int:
    """`t.size` as repart reads it: K, M, G, T are powers of 1024."""
    unit = size[-1] if size[-1] in UNITS else ""
    return int(size.removesuffix(unit)) * UNITS[unit]


def verity_hash_bytes(data: int) -> int:
    """The size of the dm-verity hash tree (and superblock) for `data` bytes of data."""
    blocks = -(-data // VERITY_BLOCK)
    total = 0
    per_block = VERITY_BLOCK // DIGEST
    while blocks > 1:
        blocks = -(-blocks // per_block)
        total += blocks
    return VERITY_BLOCK + max(total, 1) * VERITY_BLOCK


def verity_size_for(usr_size: str) -> str:
    """The smallest whole-MiB hash slot that covers a /usr slot filled to the last byte."""
    data = -(-size_bytes(usr_size) // GRAIN) * GRAIN
    return f"{-(-verity_hash_bytes(data) // UNITS['M'])}M"


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
        "Archive components the apt sources name (`main`, `contrib`, `non-free`, "
        "`non-free-firmware`); a package from a component left out is an error."),
        example=["main", "contrib", "non-free", "non-free-firmware"]),
    "foreign_architectures": option(list[DEBIAN_ARCHITECTURE], default=[], description=(
        "Further Debian architectures the image's dpkg and apt accept (multiarch, "
        "`dpkg --add-architecture`), so that `packages` can name `pkg:i386`. The image "
        "itself stays amd64."), example=["i386"]),
    "id": option(t.image_id, default="pydeclos", description=(
        "ImageId: names the artifacts (`<id>_<version>.efi`), partition labels and the "
        "update files; lowercase letters, digits, `_` and `-`.")),
    "version": option(t.positive, default=1, description=(
        "ImageVersion, i.e. the generation number; `pydeclos build --version` overrides it.")),
    "layout": option(Literal["usr", "root"], default="usr", description=(
        "`usr`: A/B read-only /usr (erofs + dm-verity) with a persistent root; `root`: A/B "
        "whole root with persistent /var and /home, and /etc an overlay whose changes live on "
        "/var. `switch` and `rollback` work on both; docs/layouts.md compares them.")),
    "esp_size": option(t.size, default="256M", description=(
        "EFI system partition size; it holds two unified kernel images (~60M each).")),
    "usr_size": option(t.size, default="1G", description="Size of each /usr slot."),
    "usr_verity_size": option(t.size, default="69M", description=(
        "Size of each verity hash slot. Unset, it follows `usr_size`: just big enough for "
        "the hash of a full /usr slot (`69M` for the default `1G`, about 1/15 of "
        "`usr_size`). A smaller value is an error, since the build would fail once /usr "
        "grows near the slot size.")),
    "root_size": option(t.size, default="512M", description=(
        "Initial size of the persistent root partition.")),
    "with_docs": option(bool, default=False, description=(
        "Whether to keep man pages and /usr/share/doc in the image.")),
    "translations": option(list[t.language], default=[], description=(
        "Languages whose message translations (/usr/share/locale/<language>) the image "
        "keeps; `de` keeps `de`, `de_AT`, ...; `\"all\"` keeps every language. The default "
        "is the language of `i18n.locale` (none for C.UTF-8, whose messages are the "
        "programs' own English). All of them cost about 40 MB of /usr and 11 MB of every "
        "update of examples/minimal."), example=["de", "fr"]),
}}


def config(cfg):
    image = cfg.image
    needed = verity_size_for(image.usr_size)
    errors = []
    if size_bytes(image.usr_verity_size) < size_bytes(needed):
        errors.append({"assertion": False,
                       "options": ["image.usr_verity_size", "image.usr_size"],
                       "message": (
            f"image.usr_verity_size = {image.usr_verity_size!r} cannot hold the verity hash "
            f"of a full image.usr_size = {image.usr_size!r} slot, which needs {needed}: the "
            "build would fail once /usr grows near the slot size (\"Verity hash data does "
            f"not fit\"). Set image.usr_verity_size to {needed!r} or more, or leave it unset "
            "so it follows image.usr_size.")})
    return {"image": {"usr_verity_size": mk_default(needed)}, "assertions": errors}
