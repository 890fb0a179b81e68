"""Run one command inside a booting guest without baking a test agent into the image.

systemd >= 256 (trixie has 257) turns system credentials named `systemd.extra-unit.<unit>`
into units and `systemd.unit-dropin.<unit>` into drop-ins (systemd-debug-generator). qemu
hands credentials to the guest as SMBIOS type 11 strings. So the host passes:

- a service that waits until the boot has finished (`systemctl is-system-running --wait`),
  runs the command, writes its output and exit status to the second serial port (ttyS1,
  a file on the host; the console on ttyS0 stays separate) and powers the machine off;
- a drop-in that makes multi-user.target want that service.

The report is line-based and base64-encoded, so tty newline translation cannot corrupt it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

UNIT_NAME = "pydeclos-exec.service"
REPORT_TTY = "/dev/ttyS1"
MARKER = "PYDECLOS-EXEC"

GUEST_SCRIPT = """\
state=$(systemctl is-system-running --wait 2>/dev/null)
command=$(printf %s '{command_b64}' | base64 -d)
cd /root 2>/dev/null || cd /
HOME=/root bash -c "$command" </dev/null >/run/pydeclos-exec.out 2>/run/pydeclos-exec.err
status=$?
{{
  echo "{marker} STATE $state"
  echo "{marker} STDOUT $(base64 -w0 /run/pydeclos-exec.out)"
  echo "{marker} STDERR $(base64 -w0 /run/pydeclos-exec.err)"
  echo "{marker} STATUS $status"
}} >{tty}
{poweroff}
"""


def _b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(data).decode()


def exec_unit(command: str, poweroff: bool = True) -> str:
    """The unit file text of the service that runs `command` once the boot has finished."""
    script = GUEST_SCRIPT.format(
        command_b64=_b64(command),
        marker=MARKER,
        tty=REPORT_TTY,
        poweroff="systemctl poweroff --no-block" if poweroff else "",
    )
    # Type=exec: the start job ends as soon as the script runs, so the boot can finish
    # while the script waits for it.
    return (
        "[Unit]\n"
        "Description=Command from pydeclos vm --exec\n"
        "ConditionPathExists=!/etc/initrd-release\n"
        "After=multi-user.target\n"
        "\n"
        "[Service]\n"
        "Type=exec\n"
        f"ExecStart=/bin/bash -c 'printf %%s {_b64(script)} | base64 -d | /bin/bash'\n"
    )


def smbios_credentials(command: str, poweroff: bool = True) -> list[str]:
    """qemu `-smbios` arguments that pass the exec service and its drop-in to the guest."""
    dropin = f"[Unit]\nWants={UNIT_NAME}\n"
    credentials = {
        f"systemd.extra-unit.{UNIT_NAME}": exec_unit(command, poweroff),
        "systemd.unit-dropin.multi-user.target": dropin,
    }
    return [
        f"type=11,value=io.systemd.credential.binary:{name}={_b64(text)}"
        for name, text in credentials.items()
    ]


@dataclass(frozen=True)
class ExecReport:
    """What the command printed inside the guest, its exit status, and the boot's state."""

    status: int
    stdout: str
    stderr: str
    system_state: str


REPORT_LINE = re.compile(rf"{MARKER} (STATE|STDOUT|STDERR|STATUS) ?(.*?)\r?$")


def parse_report(raw: str) -> ExecReport | None:
    """The report written to the second serial port, or None while it is incomplete."""
    fields: dict[str, str] = {}
    for line in raw.splitlines():
        match = REPORT_LINE.match(line.strip("\x00"))
        if match:
            fields[match.group(1)] = match.group(2).strip()
    if "STATUS" not in fields:
        return None
    return ExecReport(
        status=int(fields["STATUS"]),
        stdout=base64.b64decode(fields.get("STDOUT", "")).decode(errors="replace"),
        stderr=base64.b64decode(fields.get("STDERR", "")).decode(errors="replace"),
        system_state=fields.get("STATE", ""),
    )
