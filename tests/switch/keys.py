"""A throwaway gpg signing key, made with real gpg in a home of its own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UID = "pydeclos test <updates@example.org>"


@contextmanager
def signing_key(directory: Path) -> Iterator[tuple[str, Path]]:
    """(user id, `gpg --export` of its public half); GNUPGHOME points at the key's home
    while inside, so `gpg --local-user UID` signs with it."""
    home = directory / "gnupg"
    home.mkdir(mode=0o700)
    previous = os.environ.get("GNUPGHOME")
    os.environ["GNUPGHOME"] = str(home)
    try:
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", UID, "ed25519",
                        "sign", "never"], check=True, capture_output=True)
        public = directory / "updates.gpg"
        public.write_bytes(subprocess.run(["gpg", "--export", UID], check=True,
                                          capture_output=True).stdout)
        yield UID, public
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], check=False)
        if previous is None:
            os.environ.pop("GNUPGHOME", None)
        else:
            os.environ["GNUPGHOME"] = previous


def armored(uid: str) -> str:
    return subprocess.run(["gpg", "--armor", "--export", uid], check=True, capture_output=True,
                          text=True).stdout
