"""Reusing mkosi's default initrd across builds of one package set.

mkosi (24 and 25) builds its default initrd again in every build: it copies the initrd's
cached tree, runs sysusers, tmpfiles and presets in it, and packs and zstd-compresses it,
about 10 s of a config-only rebuild on a loaded 2-core host. The result depends only on the
package set and a few settings (below) that a change of files or units does not touch. So
the first build of a package set keeps the initrd mkosi built (hard-linked out of mkosi's
workspace the moment mkosi reports its size, before mkosi removes the workspace), next to
that package set's incremental cache, and later builds pass it as `--initrd=`: mkosi then
skips its default initrd and adds only the kernel-modules initrd it builds from the image.

The kept initrd's os-release carries the IMAGE_VERSION of the build that made it; the
UKI's own os-release section (which sysupdate and systemd-boot read) comes from the image.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pydeclos.build.mkosi import TreeSummary

# The settings mkosi 24/25 hands to its default initrd build (finalize_default_initrd),
# besides the package set, which the incremental cache directory already stands for.
INITRD_SETTINGS = (
    "ImageId", "Hostname", "RootPassword", "Locale", "LocaleMessages", "Keymap", "Timezone",
    "Environment", "CompressOutput", "CompressLevel", "SourceDateEpoch", "ToolsTree",
    "SELinuxRelabel", "InitrdInclude", "WithNetwork", "ProxyUrl", "InitrdPackages",
    "InitrdVolatilePackages",
)
STARTED = "Building default initrd"
# mkosi's "‣ <workspace>/initrd.cpio.zst size is 30.7M, …" once the default initrd is done.
BUILT = re.compile(r"(?P<path>/\S*/mkosi-workspace-[^/\s]+/initrd[^/\s]*) size is ")


def initrd_key(info: TreeSummary, mkosi_version: int) -> str:
    settings = {k: info.raw.get(k) for k in INITRD_SETTINGS}
    # mkosi puts the generation number (and the caller's TERM) into the environment; like
    # --image-version, they do not change the initrd, so they must not make every build
    # build a new one.
    environment = dict(settings.get("Environment") or {})
    for name in ("IMAGE_VERSION", "TERM"):
        environment.pop(name, None)
    settings["Environment"] = environment
    settings["mkosi"] = mkosi_version
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


@dataclass
class InitrdCache:
    """The default initrd of one package set and settings: reused if kept, kept if built."""

    path: Path | None
    reused: bool = False
    _building: bool = field(default=False, repr=False)

    @classmethod
    def for_build(cls, incremental: Path, info: TreeSummary, tree: Path,
                  mkosi_version: int) -> InitrdCache:
        """None when the tree brings its own initrds (Initrds=, an mkosi.images/ subimage):
        those must win over a kept default initrd."""
        if info.raw.get("Initrds") or (tree / "mkosi.images").exists():
            return cls(None)
        path = incremental / f"default-initrd-{initrd_key(info, mkosi_version)}.cpio.zst"
        return cls(path, reused=path.is_file())

    def options(self) -> list[str]:
        return [f"--initrd={self.path}"] if self.path is not None and self.reused else []

    def observe(self, line: str) -> None:
        """Keep the default initrd when mkosi's log says it has just been built."""
        if self.path is None or self.reused:
            return
        if STARTED in line:
            self._building = True
            return
        found = BUILT.search(line) if self._building else None
        if found is None:
            return
        self._building = False
        self.keep(Path(found["path"]))

    def keep(self, built: Path) -> None:
        assert self.path is not None
        temporary = self.path.with_name(self.path.name + ".tmp")
        with contextlib.suppress(OSError):  # only a missed saving, never a failed build
            temporary.unlink(missing_ok=True)
            try:
                os.link(built, temporary)
            except OSError:
                shutil.copyfile(built, temporary)
            os.replace(temporary, self.path)
