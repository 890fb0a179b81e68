"""Where things go in the build tree: the paths every lowering module shares."""

from __future__ import annotations

EXTRA = "mkosi.extra"
UNIT_DIR = f"{EXTRA}/usr/lib/systemd/system"
ETC_STORE = "usr/share/pydeclos/etc"
