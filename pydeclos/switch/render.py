"""Plans and diffs as text a person reads (the JSON form is `Plan.to_json`)."""

from __future__ import annotations

from pydeclos.switch.plan import Change, Plan


def _names(title: str, change: Change, versions: bool = False) -> list[str]:
    if change.empty():
        return [f"{title}: unchanged"]
    lines = [f"{title}:"]
    for name, version in sorted(change.added.items()):
        lines.append(f"  + {name}" + (f" {version}" if versions and version else ""))
    for name, version in sorted(change.removed.items()):
        lines.append(f"  - {name}" + (f" {version}" if versions and version else ""))
    for name, (old, new) in sorted(change.changed.items()):
        lines.append(f"  ~ {name}" + (f" {old} -> {new}" if versions else ""))
    return lines


def render_plan(plan: Plan, verb: str = "switch") -> str:
    current, target = plan.current, plan.target
    lines = [f"{verb}: {current.image_id} generation {current.version} ({current.where}) -> "
             f"generation {target.version} ({target.where})"]
    title = "packages" if plan.packages_exact else "packages (declared names; versions unknown)"
    lines += _names(title, plan.packages, versions=plan.packages_exact)
    lines += _names("units", plan.units)
    lines += _names("/etc entries", plan.etc)
    if plan.kernel_changed is None:
        lines.append("kernel: unknown on one side")
    elif plan.kernel_changed:
        lines.append(f"kernel: {current.kernel_release} -> {target.kernel_release}")
    else:
        lines.append(f"kernel: unchanged ({current.kernel_release})")
    if plan.command_line_changed:
        lines.append(f"command line: {' '.join(current.command_line)} -> "
                     f"{' '.join(target.command_line)}")
    else:
        lines.append("command line: unchanged (apart from usrhash=)")
    lines.append(f"method: {plan.method}, because {plan.why}")
    return "\n".join(lines)
