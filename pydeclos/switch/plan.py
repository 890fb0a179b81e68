"""What moving from one generation to another changes, and how to activate it (pure).

The same `Plan` serves `diff A B`, `switch --dry-run` and the real switch, which follows
the plan's method. The method is the lightest that is correct:

- soft-reboot: same kernel and command line (a soft-reboot keeps the running kernel, so
  the new /usr must carry its modules, and it cannot change the command line);
- kexec: the kernel or its command line changes, and kexec is available;
- reboot: otherwise, or when a side's kernel is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydeclos.switch.description import Description
from pydeclos.switch.errors import SwitchError

Method = Literal["soft-reboot", "kexec", "reboot"]
METHODS: tuple[str, ...] = ("auto", "soft-reboot", "kexec", "reboot")


@dataclass(frozen=True)
class Change:
    """Added, removed and changed names of one kind (packages carry versions)."""

    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_json(self, changed_name: str = "changed") -> dict[str, Any]:
        return {"added": dict(sorted(self.added.items())),
                "removed": dict(sorted(self.removed.items())),
                changed_name: {k: list(v) for k, v in sorted(self.changed.items())}}


def compare(old: dict[str, str], new: dict[str, str]) -> Change:
    return Change(
        added={k: v for k, v in new.items() if k not in old},
        removed={k: v for k, v in old.items() if k not in new},
        changed={k: (old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]},
    )


def _etc_key(entry: dict[str, Any]) -> str:
    if "link" in entry:
        return f"-> {entry['link']}"
    return f"{entry.get('sha256', '')[:12]} {entry.get('mode', '')} {entry.get('user', '')}:" \
           f"{entry.get('group', '')}"


@dataclass(frozen=True)
class Plan:
    """A move from `current` to `target`: the changes, the method, and why."""

    current: Description
    target: Description
    packages: Change
    packages_exact: bool  # versions from both sides' package manifests, not declared names
    units: Change
    etc: Change
    kernel_changed: bool | None
    command_line_changed: bool
    method: Method
    why: str

    def to_json(self) -> dict[str, Any]:
        def side(d: Description) -> dict[str, Any]:
            return {"image_id": d.image_id, "version": d.version, "where": d.where,
                    "kernel": d.kernel_release, "command_line": d.command_line,
                    "usrhash": d.usrhash}

        return {
            "from": side(self.current),
            "to": side(self.target),
            "packages": {**self.packages.to_json("upgraded"), "exact": self.packages_exact},
            "units": {"added": sorted(self.units.added), "removed": sorted(self.units.removed),
                      "changed": sorted(self.units.changed)},
            "etc": {"added": sorted(self.etc.added), "removed": sorted(self.etc.removed),
                    "changed": sorted(self.etc.changed)},
            "kernel_changed": self.kernel_changed,
            "command_line_changed": self.command_line_changed,
            "method": self.method,
            "why": self.why,
        }


def _packages(current: Description, target: Description) -> tuple[Change, bool]:
    if current.packages is not None and target.packages is not None:
        return compare(current.packages, target.packages), True
    old = {name: "" for name in current.declared_packages}
    new = {name: "" for name in target.declared_packages}
    return compare(old, new), False


def choose_method(kernel_changed: bool | None, command_line_changed: bool, requested: str,
                  kexec_available: bool, kernels: tuple[str | None, str | None]) -> tuple[Method, str]:
    """The activation method and the reason, or a SwitchError for an impossible request."""
    if kernel_changed is None:
        needs, reason = "reboot", "the kernel of one side is unknown (no package manifest)"
    elif kernel_changed:
        needs, reason = "kexec", f"the kernel changes ({kernels[0]} -> {kernels[1]})"
    elif command_line_changed:
        needs, reason = "kexec", "the kernel command line changes"
    else:
        needs, reason = "soft-reboot", (f"the kernel ({kernels[0]}) and its command line stay the "
                                        "same, so only userspace restarts on the new /usr")
    if requested == "auto":
        if needs == "kexec" and not kexec_available:
            return "reboot", f"{reason} and kexec is not available"
        return needs, reason  # type: ignore[return-value]
    if requested == "soft-reboot" and needs != "soft-reboot":
        raise SwitchError(f"cannot activate by soft-reboot: {reason}; a soft-reboot keeps the "
                          "running kernel. Use --method kexec or --method reboot")
    if requested == "kexec" and not kexec_available:
        raise SwitchError("cannot activate by kexec: kexec is not available here (the kexec "
                          "binary is missing or the kernel forbids it); use --method reboot")
    if requested not in METHODS:
        raise SwitchError(f"unknown method {requested!r}; use one of {', '.join(METHODS)}")
    return requested, f"asked for with --method ({reason})"  # type: ignore[return-value]


def make_plan(current: Description, target: Description, *, requested: str = "auto",
              kexec_available: bool = True) -> Plan:
    packages, exact = _packages(current, target)
    etc = compare({k: _etc_key(v) for k, v in current.etc.items()},
                  {k: _etc_key(v) for k, v in target.etc.items()})
    if current.kernel_release is None or target.kernel_release is None:
        kernel_changed: bool | None = None
    else:
        kernel_changed = current.kernel_release != target.kernel_release
    command_line_changed = current.command_line != target.command_line
    method, why = choose_method(kernel_changed, command_line_changed, requested, kexec_available,
                                (current.kernel_release, target.kernel_release))
    return Plan(current, target, packages, exact, compare(current.units, target.units), etc,
                kernel_changed, command_line_changed, method, why)
