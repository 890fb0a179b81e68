"""System locale.

C.UTF-8 is built into the C library. Any other locale needs compiled locale data, so the
module then installs `locales-all` (every locale, precompiled; no generation step at build
time, at the price of ~200 MB in /usr).
"""

import re

from pydeclos import option

LOCALE = re.compile(r"^[A-Za-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?$|^C(\.UTF-8)?$|^POSIX$")

options = {"i18n": {
    "locale": option(str, default="C.UTF-8", description=(
        "The system locale (LANG)."), example="en_US.UTF-8"),
}}


def config(cfg):
    locale = cfg.i18n.locale
    result = {}
    if not LOCALE.match(locale):
        result["assertions"] = [{"assertion": False, "message": (
            f"i18n.locale = {locale!r} is not a locale name; write e.g. `en_US.UTF-8` or "
            "`C.UTF-8`")}]
    if locale not in ("C", "C.UTF-8", "POSIX"):
        result["packages"] = ["locales-all"]
    return result
