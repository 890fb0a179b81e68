"""Where things go in the build tree: the paths every lowering module shares."""

from __future__ import annotations

EXTRA = "mkosi.extra"
UNIT_DIR = f"{EXTRA}/usr/lib/systemd/system"
ETC_STORE = "usr/share/pydeclos/etc"
# Layout root: the machine's changes to the read-only slot's /etc, on the persistent /var
# (the upper and work directories of the /etc overlay; modules/tasks/filesystems.py).
ETC_UPPER = "/var/lib/pydeclos/etc/upper"
ETC_WORK = "/var/lib/pydeclos/etc/work"
