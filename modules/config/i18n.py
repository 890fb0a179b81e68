"""System locale.

C.UTF-8 is built into the C library. Any other locale needs compiled locale data, so the
module then installs `locales-all` (every locale, precompiled; no generation step at build
time, at the price of ~200 MB in /usr). The locale is /etc/locale.conf, a managed /etc
entry rather than mkosi's Locale=, so that it follows the /usr version on a switch.

Programs' message translations (/usr/share/locale) are kept only for the languages in
`image.translations`, by default the locale's own (set here): every other language is
about 40 MB of /usr and 11 MB of every update for messages nobody on the machine reads.

The name must be one the image's release ships (its `locales` package's SUPPORTED list, in
pydeclos/data/<release>/locales.txt), so a typo fails at eval instead of leaving the
machine in the C locale with a warning from every program.
"""

import re

from pydeclos import mk_default, option
from pydeclos import types as t
from pydeclos.data import known_names, suggestions

BUILT_IN = ("C", "C.UTF-8", "POSIX")

options = {"i18n": {
    "locale": option(t.locale, default="C.UTF-8", description=(
        "The system locale (LANG): a name from the image release's "
        "/usr/share/i18n/SUPPORTED, such as `de_DE.UTF-8`."), example="en_US.UTF-8"),
}}


def normalized(name: str) -> str:
    """glibc's spelling-insensitive form: the codeset lowercased without punctuation, so
    `en_US.UTF-8` and `en_US.utf8` (as `locale -a` prints it) name the same locale."""
    match = re.fullmatch(r"([^.@]*)(?:\.([^@]*))?(@.*)?", name)
    if not match or match[2] is None:
        return name
    codeset = re.sub(r"[^a-z0-9]", "", match[2].lower())
    if codeset.isdigit():
        codeset = f"iso{codeset}"
    return f"{match[1]}.{codeset}{match[3] or ''}"


def unknown_locale(locale: str, release: str) -> str | None:
    """Why `locale` is not one the release has, or None when it is (or there is no list)."""
    names = known_names(release, "locales")
    if locale in BUILT_IN or names is None:
        return None
    if normalized(locale) in {normalized(name) for name in names}:
        return None
    close = suggestions(locale, names)
    hint = (f"did you mean {', '.join(f'`{n}`' for n in close)}?" if close else
            "the names look like `en_US.UTF-8` (language_TERRITORY.codeset)")
    return (f"i18n.locale = {locale!r} is not a locale Debian {release} supports; {hint} "
            f"(the full list is /usr/share/i18n/SUPPORTED on a {release} machine)")


def language(locale: str) -> str | None:
    """The language part of a locale name (`pt` of `pt_BR.UTF-8`); None for C and POSIX."""
    if locale in BUILT_IN:
        return None
    return re.split(r"[_.@]", locale, maxsplit=1)[0]


def config(cfg):
    locale = cfg.i18n.locale
    own = language(locale)
    result = {"environment": {"etc": {"locale.conf": {"text": f"LANG={locale}\n"}}},
              "image": {"translations": mk_default([own] if own else [])}}
    problem = unknown_locale(locale, cfg.image.release)
    if problem:
        result["assertions"] = [{"assertion": False, "options": ["i18n.locale"],
                                 "message": problem}]
    elif locale not in BUILT_IN:
        result["packages"] = ["locales-all"]
    return result
