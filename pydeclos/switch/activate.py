"""Changing the machine: install a generation with systemd-sysupdate, then activate it.

Activation is the lightest method the plan allows: soft-reboot into /run/nextroot (the
persistent root with the new verity /usr on it, checked by its os-release first, since a
bad nextroot silently soft-reboots the old system), kexec with the new UKI's kernel,
initrd and command line, or a reboot through systemd-boot.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydeclos.lower import common
from pydeclos.switch import machine
from pydeclos.switch.errors import BusyError, SwitchError
from pydeclos.switch.machine import SYSUPDATE, Slot, os_release, run
from pydeclos.switch.pe import split_uki
from pydeclos.switch.progress import Reporter, parse_notice

LOCK = Path("/run/pydeclos/switch.lock")
NEXTROOT = Path("/run/nextroot")
UPDATES = Path("/var/lib/pydeclos/updates")  # where the image's transfers read (lower/sysupdate)
# Says "this generation came by a soft-reboot switch" to the health-check revert unit
# (modules/system/pydeclos.py); /run survives a soft-reboot but not a boot.
SOFT_SWITCH_MARKER = Path("/run/pydeclos/soft-switch")
# Layout root: the persistent mounts a next root takes along, and where each generation
# keeps its /etc overlay's upper and work directories (on /var; lower/common.py).
PERSISTENT = ("var", "home")
ETC_STATE = Path(common.ETC_STATE)
BLESS_BOOT = "systemd-bless-boot.service"


@contextmanager
def exclusive() -> Iterator[None]:
    """One switch or rollback at a time on a machine."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                "another `pydeclos switch` or `rollback` is running on this machine; wait for "
                f"it to finish (it holds {LOCK}). Nothing was changed") from None
        yield


def _is_mountpoint(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)]).returncode == 0


@contextmanager
def source_mounted(directory: Path) -> Iterator[None]:
    """The generation directory, read-only, where the image's transfer files look for it."""
    UPDATES.mkdir(parents=True, exist_ok=True)
    while _is_mountpoint(UPDATES):
        run(["umount", str(UPDATES)])
    run(["mount", "--bind", str(directory), str(UPDATES)])
    try:
        run(["mount", "-o", "remount,bind,ro", str(UPDATES)], check=False)
        yield
    finally:
        run(["umount", str(UPDATES)], check=False)


def install(version: int, definitions: str | None = None,
            reporter: Reporter | None = None) -> str:
    """systemd-sysupdate writes `version` into the free slot and its UKI with boot counting
    (by the transfers in `definitions`, else the image's standard ones). Its progress
    notifications go to `reporter`; its output is kept for the error message."""
    command = [SYSUPDATE, *([f"--definitions={definitions}"] if definitions else []),
               "update", str(version)]
    with tempfile.TemporaryDirectory(prefix="pydeclos-notify-") as scratch:
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = str(Path(scratch) / "notify")
        notify.bind(path)
        try:
            status, output = _run_notifying(command, {**os.environ, "NOTIFY_SOCKET": path},
                                            notify, reporter)
        finally:
            notify.close()
    if reporter is not None:
        reporter.finish(succeeded=status == 0)
    if status != 0:
        raise SwitchError(
            f"systemd-sysupdate could not install generation {version} (status "
            f"{status}); the running system is unchanged:\n{output[-3000:]}")
    return output


def _run_notifying(command: list[str], env: dict[str, str], notify: socket.socket,
                   reporter: Reporter | None) -> tuple[int, str]:
    """Run `command`, collecting its output in a thread and its sd_notify datagrams here."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    stdout = process.stdout
    assert stdout is not None
    chunks: list[bytes] = []
    reader = threading.Thread(
        target=lambda: chunks.extend(iter(lambda: os.read(stdout.fileno(), 65536), b"")),
        daemon=True)
    reader.start()
    notify.settimeout(0.5)
    while True:
        exited = process.poll() is not None
        try:
            datagram = notify.recv(4096)
        except TimeoutError:
            if exited:
                break
            continue
        notice = parse_notice(datagram)
        if notice is not None and reporter is not None:
            reporter.update(notice)
    reader.join()
    return process.wait(), b"".join(chunks).decode(errors="replace").strip()


def record(output_directory: Path, version: int, names: list[str]) -> None:
    """Keep the generation's small metadata (manifests, checksums) for later plans."""
    target = machine.RECORDS / str(version)
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = output_directory / name
        if source.is_file():
            shutil.copyfile(source, target / name)


def teardown_nextroot() -> None:
    for path in (NEXTROOT / "etc", NEXTROOT / "home", NEXTROOT / "var", NEXTROOT / "usr",
                 NEXTROOT):
        if _is_mountpoint(path):
            run(["umount", str(path)], check=False)


def open_slot(slot: Slot) -> Path:
    """The slot's verity device, opened with its root hash (the PARTUUIDs concatenated).

    A slot still mapped (by the initrd as `usr`, or by an earlier switch) is reused:
    veritysetup refuses to map a partition a second time.
    """
    existing = mapped_verity(slot)
    if existing is not None:
        return existing
    name = f"pydeclos-usr-{slot.version}"
    run(["veritysetup", "open", slot.data.node, name, slot.hash.node, slot.roothash])
    return Path("/dev/mapper") / name


def mapped_verity(slot: Slot) -> Path | None:
    """The device-mapper device over the slot's data partition with its root hash, if any."""
    holders = Path("/sys/class/block") / Path(slot.data.node).name / "holders"
    for holder in sorted(holders.iterdir()) if holders.is_dir() else []:
        name_file = holder / "dm" / "name"
        if not name_file.is_file():
            continue
        name = name_file.read_text().strip()
        if slot.roothash in run(["dmsetup", "table", name], check=False):
            return Path("/dev/mapper") / name
    return None


def prepare_nextroot(slot: Slot, image_id: str, check_kernel: bool, kind: str = "usr",
                     etc_state: Callable[[Path], Path] | None = None) -> Path:
    """/run/nextroot, checked before it is used. Layout usr: the persistent root with the
    slot's /usr. Layout root: the slot itself, the persistent /var and /home, and /etc as
    an overlay over the slot's /etc whose upper and work directories are in the state
    directory `etc_state(next root)` makes (without it, as when a rollback only reads the
    slot, /etc is the slot's own)."""
    teardown_nextroot()
    device = open_slot(slot)
    NEXTROOT.mkdir(parents=True, exist_ok=True)
    if kind == "root":
        run(["mount", "-o", "ro", str(device), str(NEXTROOT)])
    else:
        run(["mount", "--bind", "/", str(NEXTROOT)])
    try:
        if kind == "root":
            for where in PERSISTENT:
                run(["mount", "--bind", f"/{where}", str(NEXTROOT / where)])
        else:
            run(["mount", "-o", "ro", str(device), str(NEXTROOT / "usr")])
        guard(NEXTROOT, image_id, slot.version, check_kernel)
        if kind == "root" and etc_state is not None:
            state = etc_state(NEXTROOT)
            run(["mount", "-t", "overlay", "overlay", "-o",
                 f"lowerdir={NEXTROOT / 'etc'},upperdir={state / 'upper'},"
                 f"workdir={state / 'work'}", str(NEXTROOT / "etc")])
    except BaseException:
        teardown_nextroot()
        raise
    return NEXTROOT


def guard(root: Path, image_id: str, version: int, check_kernel: bool) -> None:
    """Refuse a next root that would not come up as the wanted version on this kernel."""
    release = os_release(root)
    found = (release.get("IMAGE_ID"), release.get("IMAGE_VERSION"))
    if found != (image_id, str(version)):
        raise SwitchError(
            f"{root}/usr/lib/os-release says {found[0]} version {found[1]}, not {image_id} "
            f"version {version}; refusing to soft-reboot into it (it would come back as the "
            "old system). The running system is unchanged")
    kernel = os.uname().release
    if check_kernel and not (root / "usr/lib/modules" / kernel).is_dir():
        raise SwitchError(
            f"the new /usr has no modules for the running kernel {kernel}; a soft-reboot "
            "would leave it without drivers. Use --method kexec or --method reboot")


def stopped_means_done() -> None:
    """From here on, being stopped is the activation working, not a failure.

    A soft-reboot or kexec stops every unit, the one running this `pydeclos` too
    (pydeclos-update.service of automatic updates), and systemd counts a Type=oneshot
    service ended by SIGTERM as failed; after a soft-reboot the new userspace would list it
    in `systemctl --failed`. So SIGTERM now ends the process with status 0.
    """
    def done(_signal: int, _frame: object) -> None:
        sys.stdout.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, done)


def soft_reboot(from_version: int | None) -> None:
    """Soft-reboot into /run/nextroot; `from_version` set marks a switch the health checks
    may revert (a rollback passes None, so a failing old generation does not bounce back)."""
    forget_boot_count()
    SOFT_SWITCH_MARKER.parent.mkdir(parents=True, exist_ok=True)
    if from_version is None:
        SOFT_SWITCH_MARKER.unlink(missing_ok=True)
    else:
        SOFT_SWITCH_MARKER.write_text(f"{from_version}\n")
    do_first_start_work(NEXTROOT)
    stopped_means_done()
    run(["systemctl", "soft-reboot", "--no-block"])


# What a first start after a /usr change does (ConditionNeedsUpdate= units), as commands
# run for the next root while the old system still serves, and the unit each replaces.
FIRST_START_WORK = (
    (("ldconfig", "-r"), "ldconfig.service"),
    (("systemd-sysusers", "--root"), "systemd-sysusers.service"),
    (("journalctl", "--update-catalog", "--root"), "systemd-journal-catalog-update.service"),
)


def do_first_start_work(root: Path) -> None:
    """Do the new /usr's first-start work before the soft-reboot, not inside its downtime.

    After a /usr change the new userspace runs the ConditionNeedsUpdate= units on the way
    to sysinit.target: under TCG ldconfig.service alone took 13 s of a soft-reboot. Their
    results live in the /etc and /var that `root` shares with the running system (the ld.so
    cache, accounts of the new generation's sysusers.d, the journal's message catalog), so
    each is made here, once the next root has passed its guard, and its unit is masked in
    /run, which a soft-reboot keeps and the next real boot clears (the units then run once
    more and find nothing to do). A command that fails leaves its unit to do the work.
    """
    for command, unit in FIRST_START_WORK:
        try:
            run([*command, str(root)])
        except SwitchError:
            continue
        run(["systemctl", "mask", "--runtime", "--quiet", unit], check=False)


def forget_boot_count() -> None:
    """Keep the next userspace from judging this boot's ESP entry.

    systemd-boot tells the booted system which entry it counts (LoaderBootCountPath), and
    systemd-bless-boot marks that entry good at boot-complete.target; after a soft-reboot
    that would bless (or un-mark) the entry of the generation booted before, not the one
    now running. The variable cannot be deleted (EINVAL), so the service is masked in
    /run, which a soft-reboot keeps and the next real boot clears.
    """
    run(["systemctl", "mask", "--runtime", "--quiet", BLESS_BOOT], check=False)


def kexec(uki: Path) -> None:
    """Load the UKI's kernel, initrd and command line, then let systemd kexec into them."""
    with tempfile.TemporaryDirectory(prefix="pydeclos-kexec-") as scratch:
        kernel, initrd, cmdline = split_uki(uki, Path(scratch))
        run(["kexec", "--load", str(kernel), f"--initrd={initrd}", f"--append={cmdline}"])
    stopped_means_done()
    run(["systemctl", "kexec", "--no-block"])


def reboot() -> None:
    stopped_means_done()
    run(["systemctl", "reboot", "--no-block"])


def kexec_available() -> bool:
    if shutil.which("kexec") is None:
        return False
    disabled = Path("/proc/sys/kernel/kexec_load_disabled")
    return not (disabled.is_file() and disabled.read_text().strip() == "1")


def mark_bad(version: int, image_id: str) -> None:
    """Make systemd-boot try `version` last: its UKI gets zero tries left."""
    for entry in machine.boot_entries(image_id):
        if entry.version == version and entry.state != "bad":
            done = entry.tries_done or 0
            entry.path.rename(entry.path.with_name(f"{image_id}_{version}+0-{max(done, 1)}.efi"))


# Where the running /usr keeps its transfers (`switch --from` with a URL source: the second).
TRANSFER_DIRS = (Path("/usr/lib/sysupdate.d"), Path("/usr/lib/pydeclos/sysupdate.d"))
DEFAULT_BOOT_TRIES = 3


def boot_tries() -> int:
    """The tries a UKI installed here gets (image.updates.boot_tries, the UKI transfer's
    TriesLeft=), so that a generation switched to again gets as many as a fresh install."""
    for directory in TRANSFER_DIRS:
        for path in sorted(directory.glob("*-uki.*")):
            for line in path.read_text(errors="replace").splitlines():
                key, sep, value = line.partition("=")
                if sep and key.strip() == "TriesLeft" and value.strip().isdigit():
                    return int(value.strip())
    return DEFAULT_BOOT_TRIES


def retry(version: int, image_id: str) -> None:
    """Give a generation marked bad (by a rollback) fresh tries when switched to again."""
    tries = boot_tries()
    for entry in machine.boot_entries(image_id):
        if entry.version == version and entry.state == "bad":
            entry.path.rename(entry.path.with_name(f"{image_id}_{version}+{tries}-0.efi"))


def mark_good(version: int, image_id: str) -> None:
    """Make systemd-boot treat `version` as a working entry (no counter)."""
    for entry in machine.boot_entries(image_id):
        if entry.version == version and entry.state == "bad":
            entry.path.rename(entry.path.with_name(f"{image_id}_{version}.efi"))
