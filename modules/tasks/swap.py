"""Swap: partitions and files (created at boot with the declared size), and zram swap.

Each swap device or file is a `.swap` unit (`systemd.swaps`) pulled in by swap.target, not an
fstab line, so its priority and options are typed. A file with a `size` is made by a oneshot
service before its swap unit: created when missing or of another size, mode 0600, then
`mkswap`; it lives on the machine's persistent root, never in the image.

zram swap (compressed swap in RAM) uses systemd's zram generator, Debian package
`systemd-zram-generator`. That package ships /etc/systemd/zram-generator.conf, which would
shadow a file in /usr/lib, so the configuration is a managed /etc entry that replaces it.
"""

import re

from pydeclos import option
from pydeclos import types as t

# `LABEL=x` and friends: the udev link the swap unit waits for.
BY = {"LABEL": "by-label", "UUID": "by-uuid", "PARTLABEL": "by-partlabel",
      "PARTUUID": "by-partuuid"}
SWAP_DEVICE = t.matching(r"|/(?:[A-Za-z0-9_.@+,=:~-]+/?)*[A-Za-z0-9_.@+,=:~-]"
                         r"|(?:LABEL|UUID|PARTLABEL|PARTUUID)=[A-Za-z0-9_.:-]+",
                         "a swap partition or file: an absolute path without spaces or quotes "
                         "(`/dev/vdb2`, `/var/swapfile`) or LABEL=, UUID=, PARTLABEL=, "
                         "PARTUUID= with letters, digits and '_.:-'", example="/var/swapfile")
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
ALGORITHMS = ("zstd", "lzo-rle", "lzo", "lz4", "lz4hc", "842")

swap_options = {
    "device": option(SWAP_DEVICE, default="", description=(
        "The swap partition or file: `/dev/…`, `LABEL=…`, `UUID=…`, or a file such as "
        "`/var/swapfile`."), example="/var/swapfile"),
    "size": option(t.size | None, default=None, description=(
        "For a swap file: its size (`2G`, or a number of bytes). The file is created at "
        "boot when missing, and made again when its size differs. None: the file or "
        "partition must already be swap (`mkswap`)."), example="2G"),
    "priority": option(t.between(-1, 32767) | None, default=None, description=(
        "Swap priority (higher is used first; zram swap defaults to 100, so it is used "
        "before a disk). None: the kernel's.")),
    "discard": option(bool, default=False, description=(
        "Whether freed swap pages are discarded (TRIM; for SSDs).")),
}

zram_options = {
    "enable": option(bool, default=False, description=(
        "Whether to make compressed swap in RAM with systemd's zram generator "
        "(package systemd-zram-generator), as NixOS' zramSwap.")),
    "memory_percent": option(t.between(1, 400), default=50, description=(
        "Size of the zram device as a percentage of RAM (it holds compressed pages, so more "
        "than 100 is possible).")),
    "max_size": option(t.size | None, default="4G", description=(
        "Upper bound of the device's size (`4G`); None: no bound.")),
    "algorithm": option(t.enum(*ALGORITHMS), default="zstd", description=(
        "Compression algorithm (the kernel must have it).")),
    "priority": option(t.between(-1, 32767), default=100, description=(
        "Swap priority; higher than disk swap, so zram is used first.")),
}

options = {
    "swap_devices": option(list[t.submodule(swap_options)], default=[], description=(
        "Swap partitions and files to enable at boot."),
        example=[{"device": "/var/swapfile", "size": "2G"}, {"device": "LABEL=swap"}]),
    "zram_swap": zram_options,
}


def byte_count(size: str) -> int:
    """`2G` -> 2147483648 (binary units, as fallocate reads them)."""
    if size[-1] in UNITS:
        return int(size[:-1]) * UNITS[size[-1]]
    return int(size)


def mebibytes(size: str) -> int:
    return max(1, byte_count(size) // UNITS["M"])


def device_path(device: str) -> str:
    """`LABEL=swap` -> /dev/disk/by-label/swap; a path stays as it is."""
    kind, _, value = device.partition("=")
    return f"/dev/disk/{BY[kind]}/{value}" if kind in BY and value else device


def service_name(path: str) -> str:
    """The oneshot that makes a swap file: `mkswap-var-swapfile`."""
    return "mkswap-" + re.sub(r"[^A-Za-z0-9_.:-]", "_", path.strip("/").replace("/", "-"))


def render_mkswap(path: str, size: str) -> str:
    """Creates the file when missing or of another size; never touches it otherwise."""
    count = byte_count(size)
    return "\n".join([
        f'file={path}',
        f'if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" != {count} ]; then',
        '  rm -f "$file"',
        '  umask 077',
        f'  fallocate -l {count} "$file" || dd if=/dev/zero of="$file" bs=1M '
        f'count={mebibytes(size)} status=none',
        '  chmod 0600 "$file"',
        '  mkswap "$file"',
        'fi',
    ])


def render_zram(zram) -> str:
    """zram-generator.conf(5): one device, sized in MiB from RAM."""
    size = f"ram * {zram.memory_percent} / 100"
    if zram.max_size is not None:
        size = f"min({size}, {mebibytes(zram.max_size)})"
    return "\n".join([
        "# Generated by pydeclos from zram_swap.",
        "[zram0]",
        f"zram-size = {size}",
        f"compression-algorithm = {zram.algorithm}",
        f"swap-priority = {zram.priority}",
    ]) + "\n"


def swap_errors(index: int, swap) -> list[tuple[str, str]]:
    where = f"swap_devices[{index}]"
    if not swap.device:
        return [(f"{where}.device is empty: give a partition or a file", "swap_devices")]
    if swap.size is not None and not swap.device.startswith("/") \
            or swap.size is not None and swap.device.startswith("/dev/"):
        return [(f"{where}: `size` makes a swap file, but {swap.device} is a device; drop "
                 "`size` for a partition, or give a file path such as /var/swapfile",
                 "swap_devices")]
    if swap.device.startswith("/usr/") or swap.device in ("/", "/usr"):
        return [(f"{where}: {swap.device} is in /usr, the read-only image; put the swap "
                 "file on the persistent root, e.g. /var/swapfile", "swap_devices")]
    return []


# An assertion names the list (`swap_devices`, the line that starts it): an entry of a list
# has no option path of its own.
def config(cfg):
    swaps, services, errors = {}, {}, []
    for index, swap in enumerate(cfg.swap_devices):
        problems = swap_errors(index, swap)
        errors += problems
        if problems:
            continue
        what = device_path(swap.device)
        swaps[what] = {"priority": swap.priority, "options": ["discard"] if swap.discard else []}
        if swap.size is not None:
            unit = f"{service_name(what)}.service"
            swaps[what]["requires"] = [unit]
            swaps[what]["after"] = [unit]
            services[service_name(what)] = {
                "description": f"Create the swap file {what}",
                "type": "oneshot",
                "script": render_mkswap(what, swap.size),
                "unit_config": {"DefaultDependencies": False,
                                "RequiresMountsFor": what.rsplit("/", 1)[0] or "/"},
                "service_config": {"RemainAfterExit": True},
            }
    zram = cfg.zram_swap
    result = {
        "systemd": {"swaps": swaps, "services": services},
        "assertions": [{"assertion": False, "message": m, "options": [o]} for m, o in errors],
    }
    if zram.enable:
        result["packages"] = ["systemd-zram-generator"]
        result["environment"] = {"etc": {"systemd/zram-generator.conf": {
            "text": render_zram(zram)}}}
        result["systemd"]["package_units"] = ["systemd-zram-setup@.service"]
    return result
