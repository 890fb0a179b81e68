"""Compressing the split partitions while mkosi still removes its workspace.

mkosi moves its artifacts into the output directory right after it writes its package
manifest ("Saving manifest …"), and then deletes its workspace, a full copy of the image
tree: 6–18 s of a config-only rebuild on a loaded host, spent on the disk, not the CPU.
xz needs the CPU, so pydeclos starts it as soon as the partitions are in place instead of
after mkosi exits. A build that fails or is stopped kills that xz before the staging
directory is removed.

mkosi renames its artifacts into the output directory when its workspace is on the same
file system; across file systems it copies them, and a file being copied must not be
compressed, so then xz waits for mkosi to end (`enabled` false).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from pydeclos.build.artifacts import compress

MARKER = "Saving manifest"
POLL_SECONDS = 0.1


class EarlyCompress:
    """Started by mkosi's log line `MARKER`; `finish` or `cancel` once mkosi has ended."""

    def __init__(self, directory: Path, stem: str, digests: dict[str, str],
                 enabled: bool = True) -> None:
        self.directory, self.stem, self.digests = directory, stem, digests
        self.enabled = enabled
        self._thread: threading.Thread | None = None
        self._mkosi_ended = threading.Event()
        self._cancelled = threading.Event()
        self._processes: list[subprocess.Popen[bytes]] = []
        self._error: BaseException | None = None

    def observe(self, line: str) -> bool:
        """Start on mkosi's marker line; True when this line started it."""
        if not self.enabled or self._thread is not None or MARKER not in line:
            return False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return True

    def _partitions(self) -> list[Path] | None:
        for kind in ("usr", "root"):  # the A/B slot of layout usr or root
            slot = sorted(self.directory.glob(f"{self.stem}.{kind}.*.raw"))
            verity = sorted(self.directory.glob(f"{self.stem}.{kind}-verity.*.raw"))
            if len(slot) == 1 and len(verity) == 1:
                return [slot[0], verity[0]]
        return None

    def _run(self) -> None:
        try:
            while True:
                ended = self._mkosi_ended.is_set()
                partitions = self._partitions()
                if partitions is not None or ended or self._cancelled.is_set():
                    break
                time.sleep(POLL_SECONDS)
            for path in partitions or []:  # none: collect() names what is missing
                if self._cancelled.is_set():
                    return
                compress(path, self.digests, started=self._started)
        except BaseException as error:  # re-raised by finish(), in the build's thread
            self._error = error

    def _started(self, process: subprocess.Popen[bytes]) -> None:
        self._processes.append(process)
        if self._cancelled.is_set():  # cancel() may have looked before this one existed
            process.kill()

    def finish(self) -> None:
        """mkosi succeeded: wait for what was started; its error is the build's."""
        self._mkosi_ended.set()
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error

    def cancel(self) -> None:
        """mkosi failed or the build was stopped: stop xz, wait for the thread to end."""
        self._cancelled.set()
        self._mkosi_ended.set()
        for process in self._processes:
            if process.poll() is None:
                process.kill()
        if self._thread is not None:
            self._thread.join()


def same_file_system(workspace: Path, output: Path) -> bool:
    """Whether mkosi moves (renames) its artifacts from `workspace` into `output`."""
    return os.stat(workspace).st_dev == os.stat(output).st_dev
