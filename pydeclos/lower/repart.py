"""image.layout -> the build-time disk layout (mkosi.repart/) and the first-boot one
(/usr/lib/repart.d).

Layout `usr`: ESP, /usr slot A (erofs + dm-verity), an empty slot B of the same size, and a
persistent ext4 root holding /etc, /var and /home. Layout `root`: the whole root is the
verity-protected A/B slot; /var and /home are persistent partitions mounted by label.

Slot A is labelled `<id>_<version>` (`%A` is IMAGE_VERSION from the image's os-release),
the label sysupdate matches; its partition UUIDs derive from the verity root hash, which
mkosi writes as usrhash=/roothash= into the UKI, so each UKI pins its own slot. Slot B is
labelled `_empty`, which sysupdate treats as free.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.formats import render_ini
from pydeclos.lower.common import EXTRA
from pydeclos.lower.filetree import FileTree

BUILD_DIR = "mkosi.repart"
FIRSTBOOT_DIR = f"{EXTRA}/usr/lib/repart.d"

Partition = list[tuple[str, str]]

# dm-verity hashes 4 KiB blocks instead of the 512-byte ones systemd-repart picks for an image
# file: the hash tree is an eighth of the size (about 2 MB instead of 16 MB per update for
# examples/minimal) and a read of /usr checks one hash per page instead of eight. systemd-repart
# reads these keys from version 255 on; 254 (Debian 12's backports) warns, ignores them and
# keeps 512-byte blocks. The verity slot's fixed size fits either.
VERITY_4K_BLOCKS: Partition = [("VerityDataBlockSizeBytes", "4096"),
                               ("VerityHashBlockSizeBytes", "4096")]


def layout(cfg: Mapping[str, Any]) -> str:
    return str(cfg["image"]["layout"])


def _sizes(cfg: Mapping[str, Any]) -> dict[str, str]:
    image = cfg["image"]
    return {k: image[f"{k}_size"] for k in ("esp", "usr", "usr_verity", "root")}


def _fixed(size: str) -> Partition:
    return [("SizeMinBytes", size), ("SizeMaxBytes", size)]


def slot_types(cfg: Mapping[str, Any]) -> tuple[str, str]:
    """The GPT types of the A/B data and hash partitions for this layout."""
    kind = layout(cfg)
    return kind, f"{kind}-verity"


def build_partitions(cfg: Mapping[str, Any]) -> dict[str, Partition]:
    """File name -> [Partition] settings for mkosi.repart/."""
    kind = layout(cfg)
    data, hash_ = slot_types(cfg)
    image_id = cfg["image"]["id"]
    size = _sizes(cfg)
    source = "/usr:/" if kind == "usr" else "/:/"
    slot_a: Partition = [("Type", data), ("Label", f"{image_id}_%A"), ("Format", "erofs"),
                         ("CopyFiles", source)]
    if kind == "root":
        slot_a += [("ExcludeFilesTarget", "/var/"), ("ExcludeFilesTarget", "/home/")]
    slot_a += [("Verity", "data"), ("VerityMatchKey", kind), *_fixed(size["usr"]),
               ("SplitName", f"{kind}.%U")]
    parts: dict[str, Partition] = {
        "00-esp.conf": [("Type", "esp"), ("Format", "vfat"), ("CopyFiles", "/boot:/"),
                        ("CopyFiles", "/efi:/"), *_fixed(size["esp"]), ("SplitName", "-")],
        f"10-{kind}.conf": slot_a,
        f"11-{kind}-verity.conf": [("Type", hash_), ("Label", f"{image_id}_%A_verity"),
                                   ("Verity", "hash"), ("VerityMatchKey", kind),
                                   *VERITY_4K_BLOCKS, *_fixed(size["usr_verity"]),
                                   ("SplitName", f"{kind}-verity.%U")],
        f"20-{kind}-b.conf": [("Type", data), ("Label", "_empty"), *_fixed(size["usr"]),
                              ("SplitName", "-")],
        f"21-{kind}-verity-b.conf": [("Type", hash_), ("Label", "_empty"),
                                     *_fixed(size["usr_verity"]), ("SplitName", "-")],
    }
    if kind == "usr":
        parts["30-root.conf"] = [("Type", "root"), ("Format", "ext4"), ("CopyFiles", "/:/"),
                                 ("ExcludeFilesTarget", "/usr/"), *_fixed(size["root"]),
                                 ("SplitName", "-")]
    else:
        for number, where in (("30", "var"), ("31", "home")):
            parts[f"{number}-{where}.conf"] = [
                ("Type", where), ("Label", f"{image_id}-{where}"), ("Format", "ext4"),
                ("CopyFiles", f"/{where}:/"), *_fixed(size["root"]), ("SplitName", "-"),
            ]
    return parts


def firstboot_partitions(cfg: Mapping[str, Any]) -> dict[str, Partition]:
    """Definitions systemd-repart applies to the running disk: they match the existing
    partitions by type and order and only let the last persistent partition grow into
    free space (after the image was written to a bigger disk)."""
    kind = layout(cfg)
    data, hash_ = slot_types(cfg)
    size = _sizes(cfg)
    parts: dict[str, Partition] = {
        "00-esp.conf": [("Type", "esp"), *_fixed(size["esp"])],
        f"10-{kind}.conf": [("Type", data), *_fixed(size["usr"])],
        f"11-{kind}-verity.conf": [("Type", hash_), *_fixed(size["usr_verity"])],
        f"20-{kind}-b.conf": [("Type", data), *_fixed(size["usr"])],
        f"21-{kind}-verity-b.conf": [("Type", hash_), *_fixed(size["usr_verity"])],
    }
    if kind == "usr":
        parts["30-root.conf"] = [("Type", "root"), ("SizeMinBytes", size["root"])]
    else:
        parts["30-var.conf"] = [("Type", "var"), *_fixed(size["root"])]
        parts["31-home.conf"] = [("Type", "home"), ("SizeMinBytes", size["root"])]
    return parts


def lower_repart(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    header = "Generated by pydeclos from image.layout and image.*_size."
    for directory, parts in ((BUILD_DIR, build_partitions(cfg)),
                             (FIRSTBOOT_DIR, firstboot_partitions(cfg))):
        for name, settings in parts.items():
            tree.add_text(f"{directory}/{name}", render_ini([("Partition", settings)], header))
    return tree
