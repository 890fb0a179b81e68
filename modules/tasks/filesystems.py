"""File systems mounted at boot (fstab); swap is modules/tasks/swap.py.

/ and /usr belong to the image layout (the persistent root and the verity-protected /usr
slot), so they cannot be declared here. Everything else is: data disks, tmpfs, bind mounts.

/etc/fstab is a managed /etc entry (a link into /usr), so systemd-fstab-generator reads the
fstab of the /usr version that is booted. For the `root` layout, whose root is read-only,
the persistent /var and /home partitions are mounted from here by label, and /etc becomes
an overlay: the slot's /etc below, the machine's own changes above it on /var. The initrd
mounts /var and that overlay (x-initrd.mount) before it switches to the root, so every
service, systemd's machine-id setup first, sees a writable /etc (docs/lowering.md, "Layout
root: /etc").
"""

from pydeclos import mk_default, option
from pydeclos import types as t
from pydeclos.lower.common import ETC_LOCAL_LINK

# Image-managed mount points and why.
RESERVED = {
    "/": "the persistent root partition is part of the image layout (image.root_size)",
    "/usr": "/usr is the read-only, verity-protected A/B slot (image.usr_size)",
    "/boot": "the EFI system partition is mounted there automatically",
    "/efi": "the EFI system partition is mounted there automatically",
}

ROOT_LAYOUT_RESERVED = {
    "/etc": "on layout root /etc is an overlay over the root slot's /etc (its changes on /var)",
    "/var": "on layout root /var is the persistent partition `<image.id>-var`",
    "/home": "on layout root /home is the persistent partition `<image.id>-home`",
}

# Tools a file system type needs for fsck and formatting; added to `packages`.
FS_TOOLS = {"xfs": "xfsprogs", "btrfs": "btrfs-progs", "vfat": "dosfstools",
            "f2fs": "f2fs-tools", "ntfs3": "ntfs-3g"}

FSCK_TYPES = ("ext2", "ext3", "ext4")
DEVICE = t.matching(r"[^\s\x00-\x1f\x7f\"'\\]*", "a device without spaces or quotes (`/dev/vdb1`, "
                    "`LABEL=data`, `tmpfs`)", example="LABEL=data")

fs_options = {
    "device": option(DEVICE, default="", description=(
        "What to mount: `/dev/…`, `LABEL=…`, `UUID=…`, `PARTLABEL=…`, `tmpfs`, or a "
        "directory for a bind mount."), example="LABEL=data"),
    "fs_type": option(t.word, default="auto", description=(
        "File system type (`ext4`, `xfs`, `tmpfs`, `none` for bind mounts, …)."),
        example="ext4"),
    "options": option(list[t.mount_option], default=["defaults"], description=(
        "Mount options, one per entry (joined with commas in fstab)."),
        example=["noatime", "nofail"]),
    "needed_for_boot": option(bool, default=False, description=(
        "Mount it in the initrd already (for file systems early services need).")),
    "auto_format": option(bool, default=False, description=(
        "Create the file system at boot if the device has none (needs a concrete fs_type).")),
}

options = {
    "file_systems": option(dict[t.absolute_path, t.submodule(fs_options)], default={}, description=(
        "File systems to mount, by mount point."),
        example={"/srv/data": {"device": "LABEL=data", "fs_type": "ext4"}}),
}


def mount_errors(path: str, fs, layout: str) -> list[tuple[str, str]]:
    where = f'file_systems."{path}"'
    reserved = {**RESERVED, **(ROOT_LAYOUT_RESERVED if layout == "root" else {})}
    if path in reserved:
        return [(f"{where}: cannot be declared: {reserved[path]}", where)]
    errors = []
    if not fs.device:
        errors.append((f"{where}.device is empty: say what to mount (e.g. `LABEL=data`, "
                       "`tmpfs`)", where))
    if fs.auto_format and fs.fs_type in ("auto", "none", "tmpfs"):
        errors.append((f"{where}: auto_format needs a concrete fs_type (e.g. `ext4`), "
                       f"not `{fs.fs_type}`", f"{where}.fs_type"))
    return errors


def fstab_line(device: str, where: str, fs_type: str, options: list[str]) -> str:
    passno = 2 if fs_type in FSCK_TYPES else 0
    return f"{device}\t{where}\t{fs_type}\t{','.join(options)}\t0\t{passno}"


def root_layout_lines(image_id: str) -> list[str]:
    """/var (in the initrd already), the /etc overlay whose upper dir is on it, /home.
    The overlay's options name /sysroot: the initrd mounts it before /sysroot becomes /.
    Its directories are reached through the slot's link to its own generation's state on
    /var, so the fstab is the same for every generation and each boots with its own /etc."""
    sysroot = "/sysroot"
    state = f"{sysroot}{ETC_LOCAL_LINK}"
    overlay = ["x-initrd.mount", "x-systemd.requires-mounts-for=/var",
               f"x-systemd.requires-mounts-for={sysroot}/var", f"lowerdir={sysroot}/etc",
               f"upperdir={state}/upper", f"workdir={state}/work"]
    return [
        fstab_line(f"PARTLABEL={image_id}-var", "/var", "ext4", ["defaults", "x-initrd.mount"]),
        fstab_line("overlay", "/etc", "overlay", overlay),
        fstab_line(f"PARTLABEL={image_id}-home", "/home", "ext4", ["defaults"]),
    ]


def render_fstab(cfg) -> str:
    lines = ["# Generated by pydeclos from file_systems."]
    if cfg.image.layout == "root":
        lines += root_layout_lines(cfg.image.id)
    for where in sorted(cfg.file_systems):
        fs = cfg.file_systems[where]
        options = list(fs.options) or ["defaults"]
        if fs.needed_for_boot:
            options.append("x-initrd.mount")
        if fs.auto_format:
            options.append("x-systemd.makefs")
        lines.append(fstab_line(fs.device, where, fs.fs_type, options))
    return "\n".join(lines) + "\n"


def mount_points(cfg) -> dict:
    """Layout root: a read-only root cannot get a mount point at boot, so mkosi's tmpfiles
    run makes them at build time. Without a mode or owner, the line changes nothing on the
    mounted file system at boot (tmpfiles adjusts only what a line sets)."""
    if cfg.image.layout != "root":
        return {}
    return {path: mk_default({"d": {}}) for path in sorted(cfg.file_systems)}


def config(cfg):
    errors = []
    for path in sorted(cfg.file_systems):
        errors += mount_errors(path, cfg.file_systems[path], cfg.image.layout)
    used = {fs.fs_type for fs in cfg.file_systems.values()}
    return {
        "packages": [FS_TOOLS[fs_type] for fs_type in sorted(used) if fs_type in FS_TOOLS],
        "environment": {"etc": {"fstab": {"text": render_fstab(cfg)}}},
        "systemd": {"tmpfiles": {"settings": mount_points(cfg)}},
        "assertions": [{"assertion": False, "message": m, "options": [o]} for m, o in errors],
    }
