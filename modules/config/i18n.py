"""System locale.

C.UTF-8 is built into the C library. Any other locale needs compiled locale data, so the
module then installs `locales-all` (every locale, precompiled; no generation step at build
time, at the price of ~200 MB in /usr). The locale is /etc/locale.conf, a managed /etc
entry rather than mkosi's Locale=, so that it follows the /usr version on a switch.
"""

from pydeclos import option
from pydeclos import types as t

options = {"i18n": {
    "locale": option(t.locale, default="C.UTF-8", description=(
        "The system locale (LANG)."), example="en_US.UTF-8"),
}}


def config(cfg):
    locale = cfg.i18n.locale
    result = {"environment": {"etc": {"locale.conf": {"text": f"LANG={locale}\n"}}}}
    if locale not in ("C", "C.UTF-8", "POSIX"):
        result["packages"] = ["locales-all"]
    return result
