"""Reading the running pydeclos machine: its version, its slot, its slots and boot entries.

Everything here only reads. Both layouts are read the same way, only the mount point of the
slot differs: the verity device mounted at /usr (layout `usr`) or at / (layout `root`). The
slot in use is found from the mount table and the device-mapper device under it, never
from /proc/cmdline: a soft-reboot changes /usr but not the command line. Partition labels
are read from the GPT itself (partx), not from udev's cache, which lags behind what
systemd-sysupdate just wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydeclos.switch.description import Description
from pydeclos.switch.errors import NotOnPydeclosError

OS_RELEASE = "usr/lib/os-release"
SYSTEM_MANIFEST = "usr/share/pydeclos/generation.json"
STATE_DIR = Path("/var/lib/pydeclos")
RECORDS = STATE_DIR / "generations"  # metadata of every generation switch installed
SYSUPDATE = "/usr/lib/systemd/systemd-sysupdate"
ESP_CANDIDATES = (Path("/boot"), Path("/efi"), Path("/boot/efi"))


def run(argv: list[str], check: bool = True) -> str:
    """A tool's stdout; a failure names the command and its stderr."""
    from pydeclos.switch.errors import SwitchError

    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except FileNotFoundError:
        raise SwitchError(f"{argv[0]} is not installed on this machine") from None
    if check and done.returncode != 0:
        raise SwitchError(f"`{' '.join(argv)}` failed (status {done.returncode}): "
                          f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def os_release(root: Path = Path("/")) -> dict[str, str]:
    values: dict[str, str] = {}
    path = root / OS_RELEASE
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def read_system_manifest(root: Path = Path("/")) -> dict[str, Any]:
    path = root / SYSTEM_MANIFEST
    if not path.is_file():
        raise NotOnPydeclosError(
            f"{path} is missing: this is not a /usr built by pydeclos. Run this command on a "
            "pydeclos machine; to compare two build outputs, use `pydeclos diff A B`")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def recorded_packages(version: int) -> dict[str, str] | None:
    """Package versions of a generation that `switch` installed (from its build output)."""
    for path in sorted((RECORDS / str(version)).glob("*.manifest")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            return None
        return {str(p["name"]): str(p["version"]) for p in data.get("packages") or []}
    return None


def dpkg_packages() -> dict[str, str] | None:
    """What dpkg lists. /var is persistent, so this is the first installed generation's set."""
    if shutil.which("dpkg-query") is None:
        return None
    out = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"], check=False)
    packages = {}
    for line in out.splitlines():
        status, _, rest = line.partition("\t")
        name, _, version = rest.partition("\t")
        if status.startswith("ii"):
            packages[name] = version
    return packages or None


def kernel_release_in(usr_root: Path) -> str | None:
    """The one kernel whose modules a /usr carries (`<root>/usr/lib/modules/<release>`)."""
    modules = usr_root / "usr/lib/modules"
    releases = sorted(p.name for p in modules.iterdir()) if modules.is_dir() else []
    return releases[-1] if releases else None


def describe_root(root: Path, where: str, kernel_release: str | None = None) -> Description:
    """A generation from a mounted tree: `/` for the running system, or /run/nextroot."""
    release = os_release(root)
    system = read_system_manifest(root)
    version = int(release.get("IMAGE_VERSION") or system.get("version") or 0)
    packages = recorded_packages(version)
    if packages is None and version == first_installed_version():
        packages = dpkg_packages()
    return Description(
        image_id=release.get("IMAGE_ID") or str(system.get("image_id", "")),
        version=version,
        where=where,
        system=system,
        packages=packages,
        kernel_release=kernel_release or kernel_release_in(root),
    )


def first_installed_version() -> int | None:
    """The generation the persistent root was created with (its dpkg database's set)."""
    marker = STATE_DIR / "installed-from"
    if marker.is_file():
        try:
            return int(marker.read_text().strip())
        except ValueError:
            return None
    return int(os_release().get("IMAGE_VERSION") or 0) or None


def running() -> Description:
    """The running system: its /usr's manifest and os-release, and the running kernel."""
    return describe_root(Path("/"), "running system", os.uname().release)


@dataclass(frozen=True)
class Partition:
    number: int
    node: str
    label: str
    uuid: str


# image.layout -> where its A/B slot is mounted on the running machine.
SLOT_MOUNT_POINTS = {"usr": "/usr", "root": "/"}


def layout(root: Path = Path("/")) -> str:
    """`usr` or `root`: the running generation's image.layout, from its generation.json
    (`usr` when it is missing or says nothing, so that the commands' own errors speak)."""
    try:
        kind = json.loads((root / SYSTEM_MANIFEST).read_text()).get("layout")
    except (OSError, ValueError):
        kind = None
    return str(kind) if kind in SLOT_MOUNT_POINTS else "usr"


@dataclass(frozen=True)
class SlotSource:
    """Where the mounted slot (/usr on layout usr, / on layout root) comes from."""

    mount_point: str
    device: str
    dm_name: str | None
    data: str | None  # partition label of the data partition, e.g. pydeclos_2
    disk: str | None  # e.g. vda

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sys_block(name: str) -> Path:
    return Path("/sys/class/block") / name


def slot_source(kind: str) -> SlotSource:
    """The device mounted where layout `kind` mounts its slot and, through device-mapper,
    the slot partitions under it."""
    mount_point = SLOT_MOUNT_POINTS[kind]
    device = run(["findmnt", "-n", "-o", "SOURCE", mount_point], check=False).strip()
    if not device:
        return SlotSource(mount_point, "(not a separate mount)", None, None, None)
    real = os.path.realpath(device)
    node = os.path.basename(real)
    dm_name = None
    name_file = _sys_block(node) / "dm" / "name"
    if name_file.is_file():
        dm_name = name_file.read_text().strip()
    slaves = sorted(p.name for p in (_sys_block(node) / "slaves").iterdir()) \
        if (_sys_block(node) / "slaves").is_dir() else [node]
    data_label = disk = None
    for slave in slaves:
        number_file = _sys_block(slave) / "partition"
        if not number_file.is_file():
            continue
        parent = Path(os.path.realpath(_sys_block(slave))).parent.name
        # The GPT, not the kernel's PARTNAME: sysupdate relabels slots while they are in use.
        labels = {p.number: p.label for p in partitions(parent)}
        label = labels.get(int(number_file.read_text()))
        if label and not label.endswith("_verity") and label != "_empty":
            data_label, disk = label, parent
    return SlotSource(mount_point, device, dm_name, data_label, disk)


def partitions(disk: str) -> list[Partition]:
    """The disk's GPT entries as the table says now (partx reads the disk, not udev)."""
    out = run(["partx", "-g", "-o", "NR,UUID,NAME", f"/dev/{disk}"])
    nodes = {}
    for child in Path(f"/sys/block/{disk}").iterdir():
        number_file = child / "partition"
        if number_file.is_file():
            nodes[int(number_file.read_text())] = f"/dev/{child.name}"
    found = []
    for line in out.splitlines():
        fields = line.split(None, 2)
        if len(fields) >= 2 and fields[0].isdigit():
            number = int(fields[0])
            label = fields[2].strip() if len(fields) > 2 else ""
            found.append(Partition(number, nodes.get(number, f"/dev/{disk}{number}"), label,
                                   fields[1].lower()))
    return found


@dataclass(frozen=True)
class Slot:
    """One slot (/usr or root) that holds a version: its data and hash partitions and root hash."""

    version: int
    data: Partition
    hash: Partition

    @property
    def roothash(self) -> str:
        return (self.data.uuid + self.hash.uuid).replace("-", "")


def slots(disk: str, image_id: str) -> dict[int, Slot]:
    """Versions on disk, from the partition labels `<id>_<n>` and `<id>_<n>_verity`."""
    table = partitions(disk)
    pattern = re.compile(rf"{re.escape(image_id)}_(\d+)(_verity)?")
    data: dict[int, Partition] = {}
    hashes: dict[int, Partition] = {}
    for part in table:
        match = pattern.fullmatch(part.label)
        if match:
            (hashes if match.group(2) else data)[int(match.group(1))] = part
    return {v: Slot(v, data[v], hashes[v]) for v in sorted(data) if v in hashes}


ENTRY = re.compile(r"(?P<id>.+)_(?P<version>\d+)(\+(?P<left>\d+)(-(?P<done>\d+))?)?\.efi")


@dataclass(frozen=True)
class BootEntry:
    """A UKI on the ESP with its boot counter (systemd-boot's `+LEFT-DONE` name suffix)."""

    path: Path
    version: int
    tries_left: int | None
    tries_done: int | None

    @property
    def state(self) -> str:
        if self.tries_left is None:
            return "good"
        return "bad" if self.tries_left == 0 else "counting"

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "version": self.version, "tries_left": self.tries_left,
                "tries_done": self.tries_done, "state": self.state}


def esp_linux_dir() -> Path | None:
    for root in ESP_CANDIDATES:
        candidate = root / "EFI" / "Linux"
        try:
            if candidate.is_dir():
                return candidate
        except OSError:
            continue
    return None


def boot_entries(image_id: str) -> list[BootEntry]:
    """The image's UKIs in the order systemd-boot tries them: bad ones last, newest first."""
    directory = esp_linux_dir()
    if directory is None:
        return []
    entries = []
    for path in directory.iterdir():
        match = ENTRY.fullmatch(path.name)
        if match and match.group("id") == image_id:
            left, done = match.group("left"), match.group("done")
            entries.append(BootEntry(path, int(match.group("version")),
                                     int(left) if left is not None else None,
                                     int(done) if done is not None else (0 if left else None)))
    return sorted(entries, key=lambda e: (e.state == "bad", -e.version))
