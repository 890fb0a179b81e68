"""`switch` without --from: the configured source's newest generation, its small files
fetched over real HTTP and checked against a real gpg signature before anything is planned."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pydeclos.cli import main
from pydeclos.switch import remote
from pydeclos.switch.errors import CorruptArtifactError, SwitchError
from pydeclos.switch.publish import publish
from tests.switch.keys import signing_key
from tests.switch.test_source import generation


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, str]]:
    """Generations 3 and 4 published and signed, served on loopback: (URL, dir, key uid);
    the machine trusts the key (its keyring where a pydeclos image ships it)."""
    directory = tmp_path / "served"
    with signing_key(tmp_path) as (uid, public):
        for version in (3, 4):
            publish(generation(tmp_path / "out", version), directory, sign_key=uid)
        monkeypatch.setattr(remote, "KEYRINGS", (public,))
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/", directory, uid
        finally:
            server.shutdown()


def test_the_newest_published_generation_is_planned_from_its_small_files(
        served: tuple[str, Path, str], tmp_path: Path) -> None:
    url, _, _ = served
    (tmp_path / "cache").mkdir()
    output = remote.remote_output(url, signed=True, cache=tmp_path / "cache")
    assert (output.version, output.image_id, output.remote) == (4, "img", url)
    assert output.describe().where == url
    # Only metadata came over; the artifacts are sysupdate's to download.
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        "SHA256SUMS", "SHA256SUMS.gpg", "img_4.generation.json"]


@pytest.mark.parametrize("damage", ["altered sums", "other key", "no signature"])
def test_an_update_not_signed_by_the_trusted_key_is_refused(
        served: tuple[str, Path, str], tmp_path: Path, damage: str) -> None:
    url, directory, _ = served
    sums = directory / "SHA256SUMS"
    if damage == "altered sums":
        sums.write_text(sums.read_text().replace("img_4.efi", "img_4.efi.evil"))
        expected = "does not verify against the key this image trusts"
    elif damage == "other key":
        (tmp_path / "other").mkdir()
        with signing_key(tmp_path / "other") as (uid, _):
            publish(generation(tmp_path / "out", 5), directory, sign_key=uid)
        expected = "does not verify against the key this image trusts"
    else:
        (directory / "SHA256SUMS.gpg").unlink()
        expected = "has no SHA256SUMS.gpg, and this machine installs only signed updates"
    (tmp_path / "cache").mkdir()
    with pytest.raises(SwitchError, match=expected):
        remote.remote_output(url, signed=True, cache=tmp_path / "cache")


def test_a_local_source_without_signature_is_refused_when_signing_is_required(
        tmp_path: Path) -> None:
    directory = tmp_path / "served"
    publish(generation(tmp_path / "out", 3), directory)
    with pytest.raises(CorruptArtifactError, match="has no SHA256SUMS.gpg, and this machine "
                                                    "installs only signed updates"):
        remote.check_signature(directory, str(directory))


def test_a_damaged_manifest_on_the_server_is_refused(served: tuple[str, Path, str],
                                                       tmp_path: Path) -> None:
    url, directory, _ = served
    (directory / "img_4.generation.json").write_text('{"version": 4, "image_id": "evil"}')
    (tmp_path / "cache").mkdir()
    with pytest.raises(CorruptArtifactError, match="img_4.generation.json does not match SHA256SUMS"):
        remote.remote_output(url, signed=True, cache=tmp_path / "cache")


def test_switch_without_from_on_an_image_without_a_source_says_what_to_do() -> None:
    assert remote.settings() is None  # this host is no pydeclos image
    result = CliRunner().invoke(main, ["switch", "--dry-run"])
    assert result.exit_code != 0
    assert "no --from given, and this image declares no update source" in result.output
    assert "image.updates.source" in result.output and "Traceback" not in result.output


def test_the_settings_the_lowering_writes_are_read(tmp_path: Path) -> None:
    path = tmp_path / "updates.json"
    path.write_text('{"local_definitions":"/usr/lib/pydeclos/sysupdate.d","signed":true,'
                    '"source":"http://10.0.2.100:8080/"}\n')
    found = remote.settings(path)
    assert found is not None and found.remote and found.signed
    assert found.local_definitions == "/usr/lib/pydeclos/sysupdate.d"


def test_a_public_key_block_of_two_keys_trusts_either_for_key_rotation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # docs/updates.md, "Rotating the signing key": image.updates.public_key may hold the old
    # and the new key in one armored block; the keyring the image ships then accepts both.
    import subprocess

    from pydeclos.formats import dearmor_public_key

    with signing_key(tmp_path) as (old, _):
        new = "pydeclos next key <next@example.org>"
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", new, "ed25519",
                        "sign", "never"], check=True, capture_output=True)
        block = subprocess.run(["gpg", "--armor", "--export", old, new], check=True,
                               capture_output=True, text=True).stdout
        packets = dearmor_public_key(block)
        assert packets is not None
        keyring = tmp_path / "import-pubring.gpg"
        keyring.write_bytes(packets)
        monkeypatch.setattr(remote, "KEYRINGS", (keyring,))
        for version, key in ((3, old), (4, new)):
            directory = tmp_path / f"served-{version}"
            publish(generation(tmp_path / "out", version), directory, sign_key=key)
            remote.check_signature(directory, str(directory))  # raises when refused
        (tmp_path / "stranger").mkdir()
        with signing_key(tmp_path / "stranger") as (stranger, _):
            publish(generation(tmp_path / "out", 5), tmp_path / "served-5", sign_key=stranger)
        with pytest.raises(CorruptArtifactError, match="does not verify"):
            remote.check_signature(tmp_path / "served-5", "served-5")
