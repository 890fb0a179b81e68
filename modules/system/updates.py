"""Where the machine's updates come from, and whose signature it trusts.

`image.updates.*` is part of the `image` sink: lowering writes the sysupdate transfers
from it. A URL source becomes `Type=url-file` transfers (systemd-sysupdate downloads
SHA256SUMS, checks its gpg signature with Verify=yes, then the artifacts); the public key
goes where systemd-pull looks for it (/usr/lib/systemd/import-pubring.gpg), and gpg, which
systemd-pull runs to check it, into the image. A path source (a mounted share holding a
`pydeclos publish` directory) is read as `switch --from` reads a build output.
`pydeclos switch` without --from installs from the source.

`image.updates.automatic` adds pydeclos-update.timer, which runs that `switch` on a calendar
(with a random delay, so a fleet does not hit the server at once) and applies the new
generation by the policy: now, at the next boot (staged only), or at a maintenance window
(pydeclos-update-window.timer).
"""

from typing import Literal

from pydeclos import option
from pydeclos import types as t
from pydeclos.formats import dearmor_public_key

source = t.matching(r"(?:https?://[^\s\x00-\x1f\x7f\"'\\%]+|/[^\s\x00-\x1f\x7f\"'\\%]*)",
                    "an http:// or https:// URL, or an absolute path, of a `pydeclos publish` "
                    "directory", example="https://updates.example.org/web")
public_key = t.Parsed(lambda text: dearmor_public_key(text) is not None,
                      "an ASCII-armored OpenPGP public key block (`gpg --armor --export KEY`)")

options = {"image": {"updates": {
    "source": option(source | None, default=None, description=(
        "Where `pydeclos switch` (without --from) and systemd-sysupdate get new generations: "
        "the URL of a directory written by `pydeclos publish` and served over HTTP, or its "
        "path on this machine (a mounted share). None: only `switch --from`."),
        example="https://updates.example.org/web"),
    "public_key": option(public_key | None, default=None, description=(
        "The public half of the key `pydeclos publish --sign-key` signs with. Shipped as "
        "/usr/lib/systemd/import-pubring.gpg; SHA256SUMS.gpg must verify against it before "
        "anything from the source is installed. Read it in system.py: "
        "`Path(\"updates.asc\").read_text()`.")),
    "allow_unsigned": option(bool, default=False, description=(
        "Install from an HTTP(S) source without checking a signature (no public_key). Anyone "
        "who can change what the server answers then decides what the machine runs; for "
        "tests and closed networks only.")),
    "boot_tries": option(t.between(1, 99), default=3, description=(
        "How often systemd-boot may try a newly installed generation (boot counting): each "
        "boot of it that does not reach boot-complete.target (a failed health check, a hang "
        "reset by a watchdog) uses one try, and with none left the machine boots the previous "
        "generation again. Counted from the generation installed by this one."),
        example=1),
    "automatic": {
        "enable": option(bool, default=False, description=(
            "Look for a new generation at `calendar` (pydeclos-update.timer), download it "
            "into the free /usr slot and apply it by `policy`. Needs image.updates.source.")),
        "calendar": option(t.calendar, default="*-*-* 04:00:00", description=(
            "When to look for an update, as an OnCalendar= expression; a run missed while the "
            "machine was off happens at the next boot."), example="Mon..Fri *-*-* 03:00:00"),
        "random_delay": option(t.duration | t.unsigned, default="30min", description=(
            "RandomizedDelaySec=: each run waits a random time up to this (a time span or "
            "seconds), so machines on the same calendar do not all download at once."),
            example="1h"),
        "policy": option(Literal["switch", "reboot", "window"], default="reboot",
                         description=(
            "How a downloaded generation is applied: `\"switch\"` moves to it at once (as "
            "`pydeclos switch`: soft-reboot or kexec, every service restarts); `\"reboot\"` "
            "stages it only, and the next boot (whenever you reboot) runs it; `\"window\"` "
            "stages it and switches at the `window` calendar.")),
        "window": option(t.calendar | None, default=None, description=(
            "With policy `\"window\"`: when to switch to a staged generation (the "
            "maintenance window), as an OnCalendar= expression."), example="Sun *-*-* 02:00:00"),
    },
}}}

UPDATE_UNIT = "pydeclos-update"
WINDOW_UNIT = "pydeclos-update-window"
SWITCH = "/usr/bin/pydeclos switch --yes --if-newer"
AUTOMATIC = "image.updates.automatic"


def automatic_errors(cfg) -> list[tuple[str, str]]:
    """(message, the option whose definition is to blame) for each misuse."""
    auto = cfg.image.updates.automatic
    errors = []
    if cfg.image.updates.source is None:
        errors.append((f"{AUTOMATIC}.enable needs an update source: set "
                       "image.updates.source to the URL or path of a `pydeclos publish` "
                       "directory (docs/updates.md)", "enable"))
    if not cfg.pydeclos.on_machine:
        errors.append((f"{AUTOMATIC}.enable needs pydeclos.on_machine (the timer runs "
                       "`pydeclos switch` on the machine); set one of them to False", "enable"))
    if auto.policy == "window" and auto.window is None:
        errors.append((f"{AUTOMATIC}.policy = 'window' needs {AUTOMATIC}.window, the "
                       "calendar expression of the maintenance window (e.g. 'Sun *-*-* "
                       "02:00:00')", "policy"))
    if auto.policy != "window" and auto.window is not None:
        errors.append((f"{AUTOMATIC}.window is set but policy is {auto.policy!r}: set "
                       f"{AUTOMATIC}.policy = 'window' to use it, or drop the window", "window"))
    return errors


def automatic_units(auto) -> dict:
    """pydeclos-update.{service,timer}, and the window's pair with policy "window"."""
    stage = " --stage-only" if auto.policy in ("reboot", "window") else ""
    network = ["network-online.target"]
    services = {UPDATE_UNIT: {
        "description": "pydeclos: look for a new generation and apply it by policy "
                       f"{auto.policy!r}",
        "type": "oneshot",
        "exec_start": [SWITCH + stage],
        "after": network, "wants": network, "wanted_by": [],
        # The soft-reboot or kexec it starts stops it; for a oneshot that SIGTERM would count
        # as a failure (switch exits 0 on it too, but only once its handler is in place).
        "service_config": {"SuccessExitStatus": "SIGTERM"},
    }}
    timers = {UPDATE_UNIT: {
        "description": "pydeclos: look for a new generation",
        "on_calendar": [auto.calendar],
        "persistent": True,
        "timer_config": {"RandomizedDelaySec": str(auto.random_delay)},
    }}
    if auto.policy == "window" and auto.window is not None:
        services[WINDOW_UNIT] = {
            "description": "pydeclos: switch to the staged generation (maintenance window)",
            "type": "oneshot",
            "exec_start": [SWITCH],
            "after": [*network, f"{UPDATE_UNIT}.service"], "wants": network, "wanted_by": [],
            "service_config": {"SuccessExitStatus": "SIGTERM"},
        }
        timers[WINDOW_UNIT] = {
            "description": "pydeclos: maintenance window for a staged generation",
            "on_calendar": [auto.window],
        }
    return {"services": services, "timers": timers}


def config(cfg):
    updates = cfg.image.updates
    result = {}
    if updates.public_key is not None:
        result["packages"] = ["gpg"]  # systemd-pull verifies SHA256SUMS.gpg by running gpg
    remote = updates.source is not None and not updates.source.startswith("/")
    if remote and cfg.pydeclos.on_machine:
        # switch rebuilds an update from published deltas (zstd) and remakes its verity
        # image from the rebuilt /usr (veritysetup)
        result["packages"] = [*result.get("packages", []), "zstd", "cryptsetup-bin"]
    if remote and updates.public_key is None and not updates.allow_unsigned:
        result["assertions"] = [{"assertion": False, "options": ["image.updates.source"],
                                 "message": (
            f"image.updates.source = {updates.source!r} is fetched over the network but no "
            "image.updates.public_key is set, so nothing would check who made an update. Set "
            "image.updates.public_key to the armored public key of `pydeclos publish "
            "--sign-key` (see docs/updates.md), or image.updates.allow_unsigned = True to "
            "accept unsigned updates")}]
    if updates.automatic.enable:
        result["systemd"] = automatic_units(updates.automatic)
        result.setdefault("assertions", []).extend(
            {"assertion": False, "options": [f"{AUTOMATIC}.{name}"], "message": message}
            for message, name in automatic_errors(cfg))
    return result
