"""A/B updates -> /usr/lib/sysupdate.d transfer definitions.

One transfer per slot partition (data, then verity hash), then the UKI. Transfers run in
file-name order, so the UKI is written last: a half-finished update never gets a boot
entry. The UKI is installed with boot counting (`+3-0`), so a version that fails to reach
boot-complete.target three times falls back to the previous one.

Sources are the split artifacts of `pydeclos build` (uncompressed `.raw`), in
/var/lib/pydeclos/updates, where `switch` mounts a build output or a path source; they
also match `.raw.xz`, as `publish` serves them. With a URL in `image.updates.source` the
standard transfers download (`Type=url-file`, `Verify=yes` unless unsigned updates are
allowed) xz-compressed partitions (trixie's sysupdate cannot decompress zstd) from a
`pydeclos publish` directory, the public key is shipped where systemd-pull looks, and the local
transfers move to /usr/lib/pydeclos/sysupdate.d for `switch --from`. /usr/lib/pydeclos/
updates.json tells `switch` the source. `%A` (ProtectVersion) is the booted IMAGE_VERSION.
`switch` rebuilds uncompressed partitions from published deltas (switch/delta.py) and
installs them with the local transfers.
systemd reads `*.transfer` from version 257 and `*.conf` before, so the suffix follows the
systemd version of the image's release (the `image.release` type refuses releases whose
systemd is older than 254, since their sysupdate lacks what the UKI transfer needs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydeclos.formats import canonical_json, dearmor_public_key, render_ini
from pydeclos.lower.common import EXTRA
from pydeclos.lower.filetree import File, FileTree
from pydeclos.lower.repart import slot_types

SYSUPDATE_DIR = f"{EXTRA}/usr/lib/sysupdate.d"
SOURCE_DIR = "/var/lib/pydeclos/updates"
LOCAL_DIR = f"{EXTRA}/usr/lib/pydeclos/sysupdate.d"  # `switch --from` when the source is a URL
SETTINGS = f"{EXTRA}/usr/lib/pydeclos/updates.json"  # read by pydeclos/switch/remote.py
# systemd-pull checks SHA256SUMS.gpg against the first of these it finds (/etc overrides);
# newer systemd names the file .pgp, older .gpg: both are shipped.
KEYRINGS = (f"{EXTRA}/usr/lib/systemd/import-pubring.gpg",
            f"{EXTRA}/usr/lib/systemd/import-pubring.pgp")
# systemd version shipped by each Debian release; releases not listed are newer.
SYSTEMD_OF_RELEASE = {"buster": 241, "bullseye": 247, "bookworm": 252, "trixie": 257}
NEWEST_KNOWN = 257
TRANSFER_SUFFIX_SINCE = 257


def image_systemd(cfg: Mapping[str, Any]) -> int:
    """The systemd version of the image's release."""
    return SYSTEMD_OF_RELEASE.get(cfg["image"]["release"], NEWEST_KNOWN)


def suffix_for(systemd: int) -> str:
    """sysupdate reads `*.transfer` from systemd 257 on and `*.conf` before."""
    return ".transfer" if systemd >= TRANSFER_SUFFIX_SINCE else ".conf"


Sections = list[tuple[str, list[tuple[str, str]]]]


def remote_source(cfg: Mapping[str, Any]) -> str | None:
    """The URL of the update directory, or None for a local source."""
    source = cfg["image"]["updates"]["source"]
    return None if source is None or source.startswith("/") else str(source)


def transfers(cfg: Mapping[str, Any], url: str | None = None) -> dict[str, Sections]:
    """Base name -> INI sections, in the order sysupdate must run them; from `url` when
    given, else from the local SOURCE_DIR."""
    image_id = cfg["image"]["id"]
    data, hash_ = slot_types(cfg)
    protect = [("ProtectVersion", "%A")]
    tries = cfg["image"]["updates"]["boot_tries"]
    if url is not None:
        verify = cfg["image"]["updates"]["public_key"] is not None
        protect.append(("Verify", "yes" if verify else "no"))
        origin = [("Type", "url-file"), ("Path", url.rstrip("/"))]
    else:
        origin = [("Type", "regular-file"), ("Path", SOURCE_DIR)]

    def partition(split: str, label: str, gpt_type: str) -> Sections:
        return [
            ("Transfer", protect),
            ("Source", [*origin, ("MatchPattern", f"{image_id}_@v.{split}.@u.raw.xz" + (
                f" {image_id}_@v.{split}.@u.raw" if url is None else ""))]),
            ("Target", [("Type", "partition"), ("Path", "auto"),
                        ("MatchPattern", label), ("MatchPartitionType", gpt_type),
                        ("PartitionFlags", "0"), ("ReadOnly", "1")]),
        ]

    return {
        f"10-{data}": partition(data, f"{image_id}_@v", data),
        f"11-{hash_}": partition(hash_, f"{image_id}_@v_verity", hash_),
        "90-uki": [
            ("Transfer", protect),
            ("Source", [*origin, ("MatchPattern", f"{image_id}_@v.efi")]),
            ("Target", [("Type", "regular-file"), ("Path", "/EFI/Linux"),
                        ("PathRelativeTo", "boot"),
                        ("MatchPattern", f"{image_id}_@v+@l-@d.efi {image_id}_@v+@l.efi "
                                         f"{image_id}_@v.efi"),
                        ("Mode", "0444"), ("TriesLeft", str(tries)), ("TriesDone", "0"),
                        ("InstancesMax", "2")]),
        ],
    }


def lower_sysupdate(cfg: Mapping[str, Any]) -> FileTree:
    tree = FileTree()
    suffix = suffix_for(image_systemd(cfg))
    updates = cfg["image"]["updates"]
    url = remote_source(cfg)
    header = "Generated by pydeclos from image.*."
    for name, sections in transfers(cfg, url).items():
        tree.add_text(f"{SYSUPDATE_DIR}/{name}{suffix}", render_ini(sections, header=header))
    if url is not None:
        for name, sections in transfers(cfg).items():
            tree.add_text(f"{LOCAL_DIR}/{name}{suffix}", render_ini(
                sections, header=header + " Used by `pydeclos switch --from`."))
    if updates["public_key"] is not None:
        keyring = dearmor_public_key(updates["public_key"])
        assert keyring is not None  # the option's type parsed it
        for path in KEYRINGS:
            tree.add(path, File(keyring))
    if updates["source"] is not None:
        tree.add_text(SETTINGS, canonical_json({
            "source": updates["source"], "signed": updates["public_key"] is not None,
            "local_definitions": f"/{LOCAL_DIR.removeprefix(EXTRA + '/')}" if url else None,
        }) + "\n")
    return tree
