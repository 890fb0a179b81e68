"""Where things go in the build tree: the paths every lowering module shares."""

from __future__ import annotations

EXTRA = "mkosi.extra"
UNIT_DIR = f"{EXTRA}/usr/lib/systemd/system"
ETC_STORE = "usr/share/pydeclos/etc"
# Layout root: the machine's changes to the read-only slot's /etc, on the persistent /var,
# one directory per generation (`<ETC_STATE>/<version>/upper` and `work`, the /etc
# overlay's directories). Each root slot carries the link ETC_LOCAL_LINK to its own
# generation's directory, and the fstab's overlay names the link, so whichever slot boots
# mounts its own generation's changes (modules/tasks/filesystems.py).
ETC_STATE = "/var/lib/pydeclos/etc"
ETC_LOCAL_LINK = "/usr/share/pydeclos/etc-local"
