"""`switch` and `rollback`: plan from the running system to a generation, then carry it out.

Order of a switch, each step refusing before anything changes where it can: lock; read
SOURCE (without one, the configured update source: remote.py); refuse a downgrade or
another image id; plan; check that its /usr fits the slots (fit.py); verify it (checksums;
sysupdate checks a URL source's itself); install with systemd-sysupdate into the free slot
(from a URL source that publishes deltas from the running generation, the artifacts are
rebuilt from them first and installed like a local source's: delta_install.py);
find the slot the new version landed in and check its root hash against the build's; keep
hand-edited /etc files and remove dropped links; activate. A stage-only switch (automatic
updates' "reboot" and "window" policies) stops after the slot check, keeping copies of
hand-edited /etc files but every link the running generation uses (on layout root it also
writes the new generation's /etc state directory, which its next boot mounts).
Without SOURCE, the run's result is recorded for `pydeclos status` (last_update.py): here
when it installs or stages, before activating; the command records refusals and failures.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydeclos.switch import (
    activate,
    delta_install,
    etc_merge,
    etc_overlay,
    last_update,
    machine,
    remote,
)
from pydeclos.switch.description import Description
from pydeclos.switch.errors import (
    NothingNewerError,
    NotOnPydeclosError,
    RefusedError,
    SwitchError,
)
from pydeclos.switch.etc import KEPT, EtcReport, drift, prepare
from pydeclos.switch.fit import check_fits
from pydeclos.switch.plan import Plan, make_plan
from pydeclos.switch.progress import Reporter
from pydeclos.switch.source import UPDATE_ROLES, BuildOutput, open_output, verify

Announce = Callable[[int, str], None]
# Makes the reporter of an install's progress: (what, artifact sizes in transfer order).
MakeReporter = Callable[[str, list[int]], Reporter]


@dataclass
class Outcome:
    """What a switch or rollback did (printed before the machine goes away)."""

    plan: Plan
    etc: EtcReport = field(default_factory=EtcReport)
    installed: bool = False
    activated: str = ""
    transferred: dict[str, Any] | None = None  # bytes and seconds of the install
    delta: dict[str, int] | None = None  # the deltas used instead of whole files, if any
    # Layout root: what became of /etc's local changes (etc_merge), the new generation's
    # side of each conflict and where it is kept, or the snapshot a rollback restored.
    etc_merge: etc_merge.EtcMerge | None = None
    etc_conflicts_kept: dict[str, str] = field(default_factory=dict)
    etc_restored: str | None = None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "plan": self.plan.to_json(), "etc": self.etc.to_json(),
            "installed": self.installed, "transferred": self.transferred,
            "delta": self.delta, "activated": self.activated}
        if self.etc_merge is not None or self.etc_restored is not None:
            found["etc_local"] = {
                "merge": self.etc_merge.to_json() if self.etc_merge else None,
                "conflicts_kept": self.etc_conflicts_kept, "restored": self.etc_restored}
        return found

    def etc_local_lines(self) -> list[str]:
        """What happened to /etc's local changes (layout root), for people."""
        if self.etc_restored is not None:
            return [f"/etc local changes: generation {self.plan.target.version}'s, as it "
                    f"left them ({self.etc_restored})"]
        if self.etc_merge is None:
            return []
        return etc_merge.summary_lines(self.etc_merge, self.etc_conflicts_kept)


def check_target(current: Description, target: Description, allow_downgrade: bool,
                 allow_other_image: bool) -> None:
    if target.image_id != current.image_id and not allow_other_image:
        raise RefusedError(
            f"{target.where} is image {target.image_id!r}, but this machine runs "
            f"{current.image_id!r}; pass --allow-other-image if you really mean to replace it")
    if target.version == current.version:
        raise NothingNewerError(f"generation {target.version} is already running; build a new one "
                           "with `pydeclos build` (it numbers generations itself)")
    if target.version < current.version and not allow_downgrade:
        raise NothingNewerError(
            f"{target.where} is generation {target.version}, older than the running "
            f"{current.version}; use `pydeclos rollback` to go back to the other slot, or "
            "pass --allow-downgrade")


@contextmanager
def opened(source: Path | None) -> Iterator[BuildOutput]:
    """SOURCE's newest generation, or with no SOURCE the configured update source's (its
    small files fetched into a directory that lasts as long as the context)."""
    if source is not None:
        yield open_output(source)
        return
    with tempfile.TemporaryDirectory(prefix="pydeclos-update-") as cache:
        yield remote.configured_output(Path(cache))


def plan_output(output: BuildOutput, method: str, allow_downgrade: bool = False,
                allow_other_image: bool = False) -> Plan:
    current = machine.running()
    target = output.describe()
    check_target(current, target, allow_downgrade, allow_other_image)
    return make_plan(current, target, requested=method,
                     kexec_available=activate.kexec_available())


def plan_switch(source: Path | None, method: str, allow_downgrade: bool = False,
                allow_other_image: bool = False) -> Plan:
    with opened(source) as output:
        return plan_output(output, method, allow_downgrade, allow_other_image)


def remember_installed(version: int) -> None:
    """Before the first switch: the persistent root's dpkg database describes `version`."""
    marker = machine.STATE_DIR / "installed-from"
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{version}\n")


def _disk(kind: str = "usr") -> str:
    """The disk holding the A/B slots of layout `kind`, from the slot mounted now."""
    source = machine.slot_source(kind)
    if source.disk is None:
        raise NotOnPydeclosError(
            f"{source.mount_point} is mounted from {source.device}, not from an A/B slot "
            f"partition; this is not a pydeclos image with the `{kind}` layout")
    return source.disk


def staged(disk: str, target: Description) -> bool:
    """Whether `target` is in a slot and its boot entry is the one systemd-boot tries first
    (a stage-only switch ran, and no rollback marked it bad since)."""
    entries = machine.boot_entries(target.image_id)
    return (target.version in machine.slots(disk, target.image_id)
            and bool(entries) and entries[0].version == target.version)


def check_not_rolled_back(target: Description) -> None:
    """Refuse, as nothing to do, a generation the machine was rolled back from (by hand or
    by a failed health check): a timer would otherwise switch to it again and again."""
    if any(entry.version == target.version and entry.state == "bad"
           for entry in machine.boot_entries(target.image_id)):
        raise NothingNewerError(
            f"generation {target.version} was rolled back from (its boot entry is marked "
            "bad), so it is not installed again automatically; publish a newer generation, "
            "or run `pydeclos switch --yes` to go to it anyway")


def switch(source: Path | None, method: str, allow_downgrade: bool = False,
           allow_other_image: bool = False, stage_only: bool = False,
           skip_rolled_back: bool = False, announce: Announce | None = None,
           reporter: MakeReporter | None = None,
           say: Callable[[str], None] | None = None) -> Outcome:
    """Switch to SOURCE's newest generation, or with no SOURCE the configured source's.

    `stage_only` stops once the generation is in its slot with its boot entry: systemd-boot
    boots the newest entry, so the next boot runs it (the automatic updates' "reboot" and
    "window" policies). `say` gets lines about the download (deltas used or not, and why)."""
    kind = machine.layout()
    with activate.exclusive(), opened(source) as output:
        plan = plan_output(output, method, allow_downgrade, allow_other_image)
        disk = _disk(kind)
        target = plan.target
        if skip_rolled_back:
            check_not_rolled_back(target)
        if output.remote is None:
            running = machine.slots(disk, plan.current.image_id).get(plan.current.version)
            if running is not None:
                check_fits(target.version, {role: path for role in ("usr", "usr_verity")
                                            if (path := output.artifact(role))}, running)
            verify(output)
        if stage_only and staged(disk, target):
            outcome = Outcome(plan, installed=True, activated="already staged")
            if kind == "root":  # /etc changes made since the staging, merged again
                staged_slot = machine.slots(disk, target.image_id)[target.version]
                _write_etc_state(staged_slot, target.image_id,
                                 _next_etc(outcome, rollback=False, carry=True))
            if source is None:
                last_update.write("staged", "already staged; the next boot runs it",
                                  target.version)
            return outcome
        remember_installed(plan.current.version)
        delta, shown = _install(output, disk, plan, reporter, say)
        activate.retry(target.version, target.image_id)
        manifest = output.artifact("package_manifest")
        activate.record(output.directory, target.version,
                        [output.manifest_name, "SHA256SUMS"] + ([manifest.name] if manifest else []))
        on_disk = machine.slots(disk, target.image_id)
        slot = on_disk.get(target.version)
        if slot is None:
            raise SwitchError(f"systemd-sysupdate reported success, but no slot is labelled "
                              f"{target.image_id}_{target.version}; the running system is "
                              "unchanged")
        if target.usrhash and slot.roothash != target.usrhash:
            raise SwitchError(f"the slot of generation {target.version} has root hash "
                              f"{slot.roothash}, the build says {target.usrhash}")
        outcome = Outcome(plan, installed=True, transferred=shown.result if shown else None,
                          delta=delta)
        if kind == "root":  # generations no slot holds any more cannot run again
            etc_merge.prune(activate.ETC_STATE, set(on_disk) | {plan.current.version})
        if stage_only:
            # Copies of hand-edited /etc files now; dropped links stay until it runs.
            outcome.etc = prepare(plan.current.etc, target.etc, f"gen{plan.current.version}",
                                  remove_dropped=False)
            if kind == "root":  # the state directory the next boot's initrd mounts
                _write_etc_state(slot, target.image_id, _next_etc(outcome, rollback=False))
                machine.run(["systemctl", "start", CARRY_UNIT], check=False)
            outcome.activated = "staged"
            if source is None:
                last_update.write("staged", "installed in the free slot; the next boot runs it",
                                  target.version)
            return outcome
        if source is None:  # before activating: a soft-reboot or kexec ends this process
            how = (f"a reboot is needed to run it ({plan.why})" if plan.method == "reboot"
                   else f"activating by {plan.method}")
            last_update.write("installed", how, target.version)
        _activate(outcome, slot, output.artifact("uki"), revertible=True, announce=announce)
        return outcome


def _install(output: BuildOutput, disk: str, plan: Plan, reporter: MakeReporter | None,
             say: Callable[[str], None] | None) -> tuple[dict[str, int] | None, Reporter | None]:
    """systemd-sysupdate writes the target into the free slot: from a URL source by its own
    downloads, or from files rebuilt from deltas (removed again before this returns: a
    soft-reboot would leave them behind); from a local source by the local transfers.
    Returns the deltas used, if any, and the progress reporter."""
    target = plan.target
    with ExitStack() as stack:
        rebuilt = None
        if output.remote is not None:
            bases = delta_install.running_bases(disk, plan.current.image_id,
                                                plan.current.version)
            rebuilt = stack.enter_context(delta_install.rebuilt_from_deltas(
                output, plan.current.version, bases, say or (lambda line: None)))
        downloading = output.remote is not None and rebuilt is None
        sizes = transfer_sizes(output) if rebuilt is None else rebuilt.sizes
        shown = reporter(f"{'downloading' if downloading else 'installing'} generation "
                         f"{target.version}", sizes) if reporter else None
        if downloading:  # sysupdate downloads, checking signature and hashes
            activate.install(target.version, reporter=shown)
        else:
            configured = remote.settings()
            local = configured.local_definitions if configured else None
            with activate.source_mounted(rebuilt.directory if rebuilt else output.directory):
                activate.install(target.version, local, reporter=shown)
        return (rebuilt.to_json() if rebuilt else None), shown


def transfer_sizes(output: BuildOutput) -> list[int]:
    """The artifacts' sizes in the order sysupdate transfers them (empty when unknown)."""
    found = [output.size_of(role) for role in UPDATE_ROLES]
    return found if all(found) else []


def _next_etc(outcome: Outcome, rollback: bool, carry: bool = False
              ) -> Callable[[Path], Path]:
    """Layout root: makes the next generation's /etc state directory, given its root
    (etc_overlay.state_dir). A rollback finds the one its target left; otherwise (and when
    there is none) the local changes are merged 3-way into a new one (etc_merge.py).
    `carry` merges again only into a directory no overlay has used yet (a staged one)."""
    current, target = outcome.plan.current.version, outcome.plan.target.version

    def make(root: Path) -> Path:
        dest = etc_overlay.state_dir(root)
        if carry and etc_merge.was_mounted(dest):
            return dest
        if rollback and (dest / "upper").is_dir():
            (dest / "work").mkdir(exist_ok=True)
            outcome.etc_restored = str(dest)
            return dest
        upper = etc_overlay.state_dir(Path("/")) / "upper"
        with etc_overlay.slot_etc() as old_base:
            merge = etc_merge.plan_merge(upper, old_base, root / "etc")
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-gen{current}-to-gen{target}"
        outcome.etc_conflicts_kept = etc_merge.write_state(upper, merge, root / "etc", dest,
                                                           KEPT / stamp)
        outcome.etc_merge = merge
        return dest

    return make


def _write_etc_state(slot: machine.Slot, image_id: str, make: Callable[[Path], Path]) -> None:
    """Layout root, activated by a boot: the state directory its initrd will mount, made
    from the slot's /etc (the slot is mounted for that only, without the overlay, which
    would mark the directory used: etc_merge.was_mounted)."""
    try:
        make(activate.prepare_nextroot(slot, image_id, check_kernel=False, kind="root"))
    finally:
        activate.teardown_nextroot()


# Started by a stage-only switch on layout root; its stop runs carry_etc (modules/system/pydeclos.py).
CARRY_UNIT = "pydeclos-etc-carry.service"


def carry_etc() -> Outcome | None:
    """Layout root, as the machine stops: merge /etc's local changes again into the state
    directory of the generation that boots next, so that edits made after a stage-only
    switch go along. None when no other generation boots next, or its state directory has
    been used (it ran here, or a switch is activating it by soft-reboot)."""
    if machine.layout() != "root":
        return None
    current = machine.running()
    entries = machine.boot_entries(current.image_id)
    slot = machine.slots(_disk("root"), current.image_id).get(entries[0].version) \
        if entries and entries[0].version != current.version else None
    if slot is None:
        return None
    with activate.exclusive():  # the slot is mounted once, without the overlay
        root = activate.prepare_nextroot(slot, current.image_id, check_kernel=False, kind="root")
        try:
            target = machine.describe_root(root, f"slot {slot.data.label}")
            outcome = Outcome(make_plan(current, target, requested="reboot",
                                        kexec_available=False))
            _next_etc(outcome, rollback=False, carry=True)(root)
        finally:
            activate.teardown_nextroot()
    return outcome


def _activate(outcome: Outcome, slot: machine.Slot, uki: Path | None, revertible: bool,
              announce: Announce | None = None, rollback: bool = False) -> None:
    """Activate by the plan's method; `announce(version, method)` is called just before a
    soft-reboot or kexec starts, which may stop this process before it returns.

    On layout root the next root is the slot itself with /var, /home and an /etc overlay
    over the slot's /etc, whose state directory (the generation's own) is written now; the
    running generation's stays as it is, for a rollback or a boot of that generation."""
    plan = outcome.plan
    target = plan.target
    kind = machine.layout()
    next_etc = _next_etc(outcome, rollback) if kind == "root" else None
    if plan.method == "soft-reboot":
        activate.prepare_nextroot(slot, target.image_id, check_kernel=True, kind=kind,
                                  etc_state=next_etc)
    else:  # a mounted /run/nextroot would turn `systemctl reboot` into a soft-reboot
        activate.teardown_nextroot()
        if next_etc is not None:  # the next boot's initrd mounts the state directory
            _write_etc_state(slot, target.image_id, next_etc)
    outcome.etc = prepare(plan.current.etc, target.etc, f"gen{plan.current.version}")
    if announce is not None and plan.method in ("soft-reboot", "kexec"):
        announce(target.version, plan.method)
    if plan.method == "soft-reboot":
        activate.soft_reboot(plan.current.version if revertible else None)
        outcome.activated = "soft-reboot"
    elif plan.method == "kexec":
        if uki is None:
            raise SwitchError(f"no UKI for generation {target.version} found on the ESP")
        activate.kexec(uki)
        outcome.activated = "kexec"
    else:
        outcome.activated = "reboot needed"


def rollback_target() -> tuple[Description, machine.Slot, str]:
    current = machine.running()
    disk = _disk(machine.layout())
    on_disk = machine.slots(disk, current.image_id)
    others = [v for v in on_disk if v != current.version]
    if not others:
        raise SwitchError(f"no other generation of {current.image_id} is on this disk (slots "
                          f"hold {', '.join(map(str, on_disk)) or 'nothing'}); nothing to roll "
                          "back to")
    slot = on_disk[max(others)]
    return current, slot, disk


def plan_rollback(method: str) -> tuple[Plan, machine.Slot]:
    current, slot, _ = rollback_target()
    root = activate.prepare_nextroot(slot, current.image_id, check_kernel=False,
                                     kind=machine.layout())
    try:
        target = machine.describe_root(root, f"slot {slot.data.label}")
    finally:
        activate.teardown_nextroot()
    plan = make_plan(current, target, requested=method,
                     kexec_available=activate.kexec_available())
    return plan, slot


def rollback(method: str) -> Outcome:
    with activate.exclusive():
        plan, slot = plan_rollback(method)
        outcome = Outcome(plan)
        activate.mark_bad(plan.current.version, plan.current.image_id)
        activate.mark_good(plan.target.version, plan.target.image_id)
        uki = next((e.path for e in machine.boot_entries(plan.target.image_id)
                    if e.version == plan.target.version), None)
        _activate(outcome, slot, uki, revertible=False, rollback=True)
        return outcome


HEALTH_UNIT = "pydeclos-health-check.service"  # see modules/system/pydeclos.py


def health_check() -> str:
    """`passed`, `failed`, `pending`, or `none` when the generation declares no checks."""
    shown = machine.run(["systemctl", "show", "-P", "LoadState,ActiveState", HEALTH_UNIT],
                        check=False).split()
    if not shown or shown[0] != "loaded":
        return "none"
    state = shown[1] if len(shown) > 1 else ""
    return {"active": "passed", "failed": "failed"}.get(state, "pending")


def status() -> dict[str, Any]:
    """The running generation and its slot; on layout root also /etc's local changes
    (`usr` repeats `slot`: older readers know it by that name, and on layout root /usr is
    part of the root slot)."""
    current = machine.running()
    kind = machine.layout()
    source = machine.slot_source(kind).to_json()
    failed = machine.run(["systemctl", "list-units", "--failed", "--plain", "--no-legend",
                          "--no-pager"], check=False)
    changes = etc_overlay.local_changes() if kind == "root" else None
    return {
        "image_id": current.image_id,
        "version": current.version,
        "layout": kind,
        "kernel": current.kernel_release,
        "slot": source,
        "usr": source,
        "failed_units": [line.split()[0] for line in failed.splitlines() if line.strip()],
        "health_check": health_check(),
        "etc": drift(current.etc).to_json(),
        "etc_changes": changes.to_json() if changes is not None else None,
    }


def generations() -> dict[str, Any]:
    current = machine.running()
    kind = machine.layout()
    source = machine.slot_source(kind)
    on_disk = machine.slots(source.disk, current.image_id) if source.disk else {}
    entries = machine.boot_entries(current.image_id)
    boots_next = entries[0].version if entries else None
    versions = sorted(set(on_disk) | {e.version for e in entries} | {current.version})
    rows = []
    for version in versions:
        slot = on_disk.get(version)
        entry = next((e for e in entries if e.version == version), None)
        rows.append({
            "version": version,
            "slot": slot.data.label if slot else None,
            "partition": slot.data.node if slot else None,
            "esp_entry": entry.path.name if entry else None,
            "tries_left": entry.tries_left if entry else None,
            "state": entry.state if entry else None,
            "running": version == current.version,
            "boots_next": version == boots_next,
        })
    return {"image_id": current.image_id, "layout": kind, "running": current.version,
            "boots_next": boots_next, "generations": rows}
