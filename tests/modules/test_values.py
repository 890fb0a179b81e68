"""Locales and keymaps are checked against the image release's lists at eval time."""

from __future__ import annotations

import pytest

from pydeclos.errors import PydeclosError

TYPOS = [
    pytest.param('{"console": {"keymap": "finnish"}}',
                 ["console.keymap = 'finnish'", "trixie", "`fi`", "`fi-latin1`"], id="keymap"),
    pytest.param('{"i18n": {"locale": "en_US.utf8x"}}',
                 ["i18n.locale = 'en_US.utf8x'", "trixie", "`en_US.UTF-8`"], id="locale"),
    pytest.param('{"i18n": {"locale": "xx_YY.UTF-8"}}',
                 ["i18n.locale = 'xx_YY.UTF-8'", "/usr/share/i18n/SUPPORTED"],
                 id="locale-without-suggestion"),
]


@pytest.mark.parametrize("definitions,words", TYPOS)
def test_typo_is_an_eval_error_at_the_line(refused, definitions: str, words: list[str]) -> None:
    refused(f"\nconfig = {definitions}\n", *words, "system.py:2")


@pytest.mark.parametrize("locale", ["de_DE.UTF-8", "en_US.utf8", "de_DE@euro", "C.UTF-8",
                                    "POSIX", "sr_RS@latin"])
def test_known_locales_are_accepted(system, locale: str) -> None:
    data = system(f'config = {{"i18n": {{"locale": "{locale}"}}}}\n').to_data()
    assert data["environment"]["etc"]["locale.conf"]["text"] == f"LANG={locale}\n"


@pytest.mark.parametrize("keymap", ["us", "de-latin1", "fi", "dvorak"])
def test_known_keymaps_are_accepted(system, keymap: str) -> None:
    data = system(f'config = {{"console": {{"keymap": "{keymap}"}}}}\n').to_data()
    assert data["environment"]["etc"]["vconsole.conf"]["text"] == f"KEYMAP={keymap}\n"


def test_a_release_without_lists_is_not_checked(system) -> None:
    data = system('config = {"image": {"release": "forky"}, "console": {"keymap": "finnish"},'
                  ' "i18n": {"locale": "xx_YY.UTF-8"}}\n').to_data()
    assert data["console"]["keymap"] == "finnish"


def test_a_verity_slot_too_small_for_the_usr_slot_names_both(refused) -> None:
    refused('\nconfig = {"image": {"usr_size": "2G",\n'
            '                    "usr_verity_size": "64M"}}\n',
            "image.usr_verity_size = '64M'", "image.usr_size = '2G'", "needs 137M",
            "`image.usr_verity_size` is defined in", "system.py:3",
            "`image.usr_size` is defined in", "system.py:2")


def test_a_bigger_verity_slot_than_needed_is_kept(system) -> None:
    data = system('config = {"image": {"usr_verity_size": "100M"}}\n').to_data()
    assert data["image"]["usr_verity_size"] == "100M"


UNAVAILABLE = [
    pytest.param('{"packages": ["unrar"]}',
                 ["'unrar'", "non-free component", "add 'non-free' to image.components"],
                 id="non-free-without-component"),
    pytest.param('{"packages": ["firmware-misc-nonfree"]}',
                 ["non-free-firmware component", "add 'non-free-firmware'"],
                 id="firmware-without-component"),
    pytest.param('{"packages": ["libc6:i386"]}',
                 ["'libc6:i386'", "i386 is not an architecture of the image",
                  "image.foreign_architectures"], id="i386-without-architecture"),
    pytest.param('{"image": {"components": ["main", "non-free"]}, "packages": ["unrar:i386"]}',
                 ["'unrar:i386'", "image.foreign_architectures"],
                 id="non-free-i386-without-architecture"),
]


@pytest.mark.parametrize("definitions,words", UNAVAILABLE)
def test_a_package_the_sources_lack_is_an_eval_error(refused, definitions: str,
                                                     words: list[str]) -> None:
    refused(f"\nconfig = {definitions}\n", *words, "system.py:2")


def test_packages_the_sources_have_are_accepted(system) -> None:
    data = system('config = {"image": {"components": ["main", "non-free"],'
                  ' "foreign_architectures": ["i386"]},'
                  ' "packages": ["unrar:i386", "unrar", "libc6:amd64", "tzdata:all"]}\n').to_data()
    assert {"unrar:i386", "unrar", "libc6:amd64"} <= set(data["packages"])


def test_an_unknown_architecture_is_refused(refused) -> None:
    refused('\nconfig = {"image": {"foreign_architectures": ["x86"]}}\n',
            "image.foreign_architectures", "system.py:2")


def test_removing_a_package_of_an_absent_architecture_is_an_eval_error(system) -> None:
    with pytest.raises(PydeclosError) as caught:
        system('\nconfig = {"packages_removed": ["gcc-14-base:i386"]}\n').to_data()
    message = str(caught.value)
    assert "packages_removed has 'gcc-14-base:i386'" in message, message
    assert "system.py:2" in message, message
