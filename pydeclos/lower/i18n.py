"""i18n.locale and console.keymap -> /etc/locale.conf and /etc/vconsole.conf.

These are /etc files rather than mkosi's Locale=/Keymap= so that they follow the /usr
version on a switch (mkosi would bake them into the persistent root once)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydeclos.lower.common import section
from pydeclos.lower.errors import UnsafeValue
from pydeclos.lower.etcfiles import EtcEntry, EtcFile

_LOCALE = re.compile(r"^[A-Za-z0-9_.@-]+$")
_KEYMAP = re.compile(r"^[A-Za-z0-9_.-]+$")


def locale(cfg: Mapping[str, Any]) -> str:
    value = section(cfg, "i18n").get("locale") or "C.UTF-8"
    if not isinstance(value, str) or not _LOCALE.fullmatch(value):
        raise UnsafeValue("i18n.locale", f"{value!r} is not a locale name",
                          "write e.g. 'C.UTF-8' or 'de_DE.UTF-8'")
    return value


def keymap(cfg: Mapping[str, Any]) -> str:
    value = section(cfg, "console").get("keymap") or "us"
    if not isinstance(value, str) or not _KEYMAP.fullmatch(value):
        raise UnsafeValue("console.keymap", f"{value!r} is not a keymap name",
                          "write e.g. 'us' or 'de-latin1'")
    return value


def i18n_etc_files(cfg: Mapping[str, Any]) -> dict[str, EtcEntry]:
    return {
        "locale.conf": EtcFile(f"LANG={locale(cfg)}\n".encode(), "i18n.locale"),
        "vconsole.conf": EtcFile(f"KEYMAP={keymap(cfg)}\n".encode(), "console.keymap"),
    }
