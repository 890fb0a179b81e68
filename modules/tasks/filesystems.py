"""File systems mounted at boot (fstab) and swap.

/ and /usr belong to the image layout (the persistent root and the verity-protected /usr
slot), so they cannot be declared here. Everything else is: data disks, tmpfs, bind mounts.
"""

import posixpath
import re

from pydeclos import option
from pydeclos import types as t

# Image-managed mount points and why.
RESERVED = {
    "/": "the persistent root partition is part of the image layout (image.root_size)",
    "/usr": "/usr is the read-only, verity-protected A/B slot (image.usr_size)",
    "/boot": "the EFI system partition is mounted there automatically",
    "/efi": "the EFI system partition is mounted there automatically",
}

# Tools a file system type needs for fsck and formatting; added to `packages`.
FS_TOOLS = {"xfs": "xfsprogs", "btrfs": "btrfs-progs", "vfat": "dosfstools",
            "f2fs": "f2fs-tools", "ntfs3": "ntfs-3g"}

SPEC = re.compile(r"^\S+$")

fs_options = {
    "device": option(str, default="", description=(
        "What to mount: `/dev/…`, `LABEL=…`, `UUID=…`, `PARTLABEL=…`, `tmpfs`, or a "
        "directory for a bind mount."), example="LABEL=data"),
    "fs_type": option(str, default="auto", description=(
        "File system type (`ext4`, `xfs`, `tmpfs`, `none` for bind mounts, …)."),
        example="ext4"),
    "options": option(list[str], default=["defaults"], description=(
        "Mount options, one per entry (joined with commas in fstab)."),
        example=["noatime", "nofail"]),
    "needed_for_boot": option(bool, default=False, description=(
        "Mount it in the initrd already (for file systems early services need).")),
    "auto_format": option(bool, default=False, description=(
        "Create the file system at boot if the device has none (needs a concrete fs_type).")),
}

options = {
    "file_systems": option(dict[str, t.submodule(fs_options)], default={}, description=(
        "File systems to mount, by mount point."),
        example={"/srv/data": {"device": "LABEL=data", "fs_type": "ext4"}}),
    "swap_devices": option(list[t.submodule({
        "device": option(str, default="", description=(
            "Swap device or file (`/dev/…`, `LABEL=…`, `/var/swapfile`).")),
    })], default=[], description="Swap devices and files to enable at boot.",
        example=[{"device": "LABEL=swap"}]),
}


def mount_errors(path: str, fs) -> list[str]:
    where = f'file_systems."{path}"'
    if not path.startswith("/") or posixpath.normpath(path) != path or "//" in path:
        return [f"{where}: a mount point must be an absolute, normalised path "
                f"(e.g. `{posixpath.normpath('/' + path.lstrip('/'))}`)"]
    if path in RESERVED:
        return [f"{where}: cannot be declared: {RESERVED[path]}"]
    errors = []
    if not fs.device:
        errors.append(f"{where}.device is empty: say what to mount (e.g. `LABEL=data`, "
                      "`tmpfs`)")
    elif not SPEC.match(fs.device):
        errors.append(f"{where}.device = {fs.device!r} must not contain spaces")
    if not SPEC.match(fs.fs_type):
        errors.append(f"{where}.fs_type = {fs.fs_type!r} must not contain spaces")
    for opt in fs.options:
        if not opt or "," in opt or any(c.isspace() for c in opt):
            errors.append(f"{where}.options: {opt!r} must be one option, without commas or "
                          "spaces; use one list entry per option")
    if fs.auto_format and fs.fs_type in ("auto", "none", "tmpfs"):
        errors.append(f"{where}: auto_format needs a concrete fs_type (e.g. `ext4`), "
                      f"not `{fs.fs_type}`")
    return errors


def config(cfg):
    errors = []
    for path in sorted(cfg.file_systems):
        errors += mount_errors(path, cfg.file_systems[path])
    for index, swap in enumerate(cfg.swap_devices):
        if not swap.device or not SPEC.match(swap.device):
            errors.append(f"swap_devices[{index}].device = {swap.device!r}: give a device or "
                          "file without spaces")
    used = {fs.fs_type for fs in cfg.file_systems.values()}
    return {
        "packages": [FS_TOOLS[fs_type] for fs_type in sorted(used) if fs_type in FS_TOOLS],
        "assertions": [{"assertion": False, "message": m} for m in errors],
    }
