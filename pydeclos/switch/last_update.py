"""/var/lib/pydeclos/last-update.json: what the last `switch` from the update source did.

A refused update leaves the machine as it was, so without a record nothing on it says that
the fleet moved on and why this machine did not: the journal rotates, and a failed unit
says only that it failed. `switch` without --from (by hand or by pydeclos-update.service)
writes one record per run: when, from where, the generation it found, the result
(refused, failed, nothing-newer, installed, staged) and a one-line reason; `pydeclos
status` shows it. The record of an activation is written before the soft-reboot or kexec
starts, since that may end the process. Written atomically (a temporary file renamed over
the old one), so a reader sees the previous record or the new one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydeclos.errors import PydeclosError
from pydeclos.switch import machine, remote
from pydeclos.switch.errors import CorruptArtifactError, NothingNewerError, RefusedError

PATH = machine.STATE_DIR / "last-update.json"
RESULTS = ("refused", "failed", "nothing-newer", "installed", "staged")
# What systemd-pull says when an artifact or SHA256SUMS.gpg does not check out: sysupdate
# refused the update, the server's files are not the signed ones.
REFUSED_BY_SYSUPDATE = ("DOWNLOAD INVALID", "BAD signature")
# In a multi-line error (a tool's output appended), the line saying why, best first.
TELLING = ("DOWNLOAD INVALID", "BAD signature", "No public key", "not found", "Failed", "error")
MAX_REASON = 400


@dataclass(frozen=True)
class Record:
    time: str  # UTC, ISO 8601
    source: str
    generation: int | None
    result: str
    reason: str


def configured_source() -> str:
    found = remote.settings()
    return found.source if found is not None else "(no update source)"


def one_line(message: str) -> str:
    """The error's first line, with the line of a tool's output that says why."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    first, rest = lines[0], lines[1:]
    detail = next((line for word in TELLING for line in rest if word in line), None)
    reason = f"{first.rstrip(':')} ({detail})" if detail else first
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 1] + "…"


def result_of(error: PydeclosError) -> str:
    if isinstance(error, NothingNewerError):
        return "nothing-newer"
    if isinstance(error, (CorruptArtifactError, RefusedError)):
        return "refused"
    if any(sign in str(error) for sign in REFUSED_BY_SYSUPDATE):
        return "refused"
    return "failed"


def write(result: str, reason: str, generation: int | None, source: str | None = None,
          path: Path | None = None, now: datetime | None = None) -> Record:
    assert result in RESULTS, result
    path = path or PATH
    when = (now or datetime.now(UTC)).astimezone(UTC)
    record = Record(when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    source if source is not None else configured_source(),
                    generation, result, one_line(reason))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(asdict(record), indent=2) + "\n")
    os.replace(temporary, path)
    return record


def read(path: Path | None = None) -> dict[str, Any] | None:
    """The last record, or None when no update from the source was tried yet."""
    path = path or PATH
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        return {"time": "?", "source": "?", "generation": None, "result": "unknown",
                "reason": f"{path} is unreadable ({error})"}
    return data if isinstance(data, dict) else None


def render(data: dict[str, Any] | None) -> str:
    """`pydeclos status`'s line."""
    if data is None:
        return "last update: none tried from the update source"
    generation = data.get("generation")
    found = f" generation {generation}" if generation is not None else ""
    return f"last update: {data.get('time')} {data.get('result')}{found}: {data.get('reason')}"


@dataclass
class Attempt:
    """One run of `switch` from the update source; `generation` once the plan found one."""

    source: str
    path: Path | None = None  # PATH
    generation: int | None = None


@contextmanager
def recorded(path: Path | None = None) -> Iterator[Attempt]:
    """Record the error that ends the run (a refusal, a failure, nothing newer) and let it
    go on; a run that installs records that itself (`switch`, before activating)."""
    attempt = Attempt(configured_source(), path)
    try:
        yield attempt
    except PydeclosError as error:
        try:
            write(result_of(error), str(error), attempt.generation, attempt.source, attempt.path)
        except OSError:
            pass  # the error itself is still reported; a missing record must not hide it
        raise
