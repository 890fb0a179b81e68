"""Where the machine's updates come from, and whose signature it trusts.

`image.updates.*` is part of the `image` sink: lowering writes the sysupdate transfers
from it. A URL source becomes `Type=url-file` transfers (systemd-sysupdate downloads
SHA256SUMS, checks its gpg signature with Verify=yes, then the artifacts); the public key
goes where systemd-pull looks for it (/usr/lib/systemd/import-pubring.gpg), and gpg, which
systemd-pull runs to check it, into the image. A path source (a mounted share holding a
`pydeclos publish` directory) is read as `switch --from` reads a build output.
`pydeclos switch` without --from installs from the source.
"""

from pydeclos import option
from pydeclos import types as t
from pydeclos.formats import dearmor_public_key

source = t.matching(r"(?:https?://[^\s\x00-\x1f\x7f\"'\\%]+|/[^\s\x00-\x1f\x7f\"'\\%]*)",
                    "an http:// or https:// URL, or an absolute path, of a `pydeclos publish` "
                    "directory", example="https://updates.example.org/web")
public_key = t.Parsed(lambda text: dearmor_public_key(text) is not None,
                      "an ASCII-armored OpenPGP public key block (`gpg --armor --export KEY`)")

options = {"image": {"updates": {
    "source": option(source | None, default=None, description=(
        "Where `pydeclos switch` (without --from) and systemd-sysupdate get new generations: "
        "the URL of a directory written by `pydeclos publish` and served over HTTP, or its "
        "path on this machine (a mounted share). None: only `switch --from`."),
        example="https://updates.example.org/web"),
    "public_key": option(public_key | None, default=None, description=(
        "The public half of the key `pydeclos publish --sign-key` signs with. Shipped as "
        "/usr/lib/systemd/import-pubring.gpg; SHA256SUMS.gpg must verify against it before "
        "anything from the source is installed. Read it in system.py: "
        "`Path(\"updates.asc\").read_text()`.")),
    "allow_unsigned": option(bool, default=False, description=(
        "Install from an HTTP(S) source without checking a signature (no public_key). Anyone "
        "who can change what the server answers then decides what the machine runs; for "
        "tests and closed networks only.")),
}}}


def config(cfg):
    updates = cfg.image.updates
    result = {}
    if updates.public_key is not None:
        result["packages"] = ["gpg"]  # systemd-pull verifies SHA256SUMS.gpg by running gpg
    remote = updates.source is not None and not updates.source.startswith("/")
    if remote and updates.public_key is None and not updates.allow_unsigned:
        result["assertions"] = [{"assertion": False, "options": ["image.updates.source"],
                                 "message": (
            f"image.updates.source = {updates.source!r} is fetched over the network but no "
            "image.updates.public_key is set, so nothing would check who made an update. Set "
            "image.updates.public_key to the armored public key of `pydeclos publish "
            "--sign-key` (see docs/updates.md), or image.updates.allow_unsigned = True to "
            "accept unsigned updates")}]
    return result
