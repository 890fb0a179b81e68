"""Reading a file of the build host that a configuration names (`environment.etc.*.source`).

The path comes from the user's configuration, so it may name anything: /dev/zero (endless),
a FIFO (blocks forever), a directory, a socket, a multi-gigabyte file, or a private key.
Only a regular, world-readable file of at most `MAX_SOURCE_BYTES` is read. It is opened
non-blocking and checked on the open descriptor (`fstat`), so what is read is what was
checked, and reading stops one byte past the limit even if the file grows meanwhile.
"""

from __future__ import annotations

import errno
import os
import stat

from pydeclos.lower.errors import MissingSource, UnsafeValue

# 16 MiB: a configuration file is kilobytes (a large CA bundle is ~250 KiB). Every byte is
# held in memory while lowering, hashed into the manifest and copied into each /usr
# version and each update; data that large belongs in a package, not in /etc.
MAX_SOURCE_BYTES = 16 << 20

KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


class UnsafeSource(UnsafeValue):
    """A host file that must not be read into the image as it is."""


def _human(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size} bytes"


def read_host_file(source: str, option: str) -> bytes:
    """The content of `source` for the option `option` (e.g. `environment.etc.motd.source`)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(source, flags)
    except OSError as error:
        if error.errno == errno.ENXIO:  # what opening a socket gives
            raise UnsafeSource(option, f"{source} is a socket, not a regular file",
                               "point source at a regular file") from None
        raise MissingSource(option, f"cannot read {source}: {error.strerror}",
                            "point source at an existing, readable file on the build host"
                            ) from None
    try:
        info = os.fstat(fd)
        kind = stat.S_IFMT(info.st_mode)
        if kind != stat.S_IFREG:
            what = KINDS.get(kind, "not a regular file")
            raise UnsafeSource(option, f"{source} is {what}, not a regular file",
                               "point source at a regular file (its content is copied "
                               "into the image)")
        if not info.st_mode & stat.S_IROTH:
            raise UnsafeSource(
                option,
                f"{source} is not readable by everyone (mode {stat.S_IMODE(info.st_mode):04o}), "
                "so it looks private, but everything in the image lands in /usr, which every "
                "update and every copy of the build output makes public",
                "secrets do not belong in the image: keep them on the machine (see "
                "docs/security.md); if the file is not secret, make it world-readable "
                f"(chmod o+r {source})",
            )
        if info.st_size > MAX_SOURCE_BYTES:
            raise _too_big(source, option, info.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_SOURCE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_SOURCE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_SOURCE_BYTES:
            raise _too_big(source, option, total, growing=True)
        return b"".join(chunks)
    except OSError as error:
        raise MissingSource(option, f"cannot read {source}: {error.strerror}",
                            "point source at an existing, readable file on the build host"
                            ) from None
    finally:
        os.close(fd)


def _too_big(source: str, option: str, size: int, growing: bool = False) -> UnsafeSource:
    seen = "grew past" if growing else f"is {_human(size)}, more than"
    return UnsafeSource(
        option, f"{source} {seen} the limit of {_human(MAX_SOURCE_BYTES)} for a file in /etc",
        "ship large data in a package, or keep it on the machine instead of in the image",
    )
