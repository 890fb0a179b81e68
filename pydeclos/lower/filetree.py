"""The build tree as data: relative path -> file or symlink, and its atomic writer.

Lowering returns a `FileTree` instead of writing files so that lowering stays pure and
deterministic, and so that nothing reaches the disk unless the whole tree was produced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydeclos.errors import PydeclosError


class TreeConflict(PydeclosError):
    """Two lowering steps want to write the same path with different content."""


@dataclass(frozen=True)
class File:
    """A regular file: its bytes and its permission bits."""

    content: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Symlink:
    """A symbolic link; `target` is written verbatim (relative or absolute)."""

    target: str


Entry = File | Symlink


def _check_relative(path: str) -> str:
    """Tree paths are relative, normalised POSIX paths; anything else is a lowering bug."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not path or ".." in pure.parts or str(pure) != path or path == ".":
        raise ValueError(f"not a normalised relative tree path: {path!r}")
    return path


class FileTree(Mapping[str, Entry]):
    """A mapping of relative path to `File` or `Symlink`; directories are implied by paths."""

    def __init__(self, entries: Mapping[str, Entry] | None = None) -> None:
        self._entries: dict[str, Entry] = {}
        for path, entry in (entries or {}).items():
            self.add(path, entry)

    def __getitem__(self, path: str) -> Entry:
        return self._entries[path]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"FileTree({len(self)} entries)"

    def add(self, path: str, entry: Entry) -> None:
        """Add one entry; the same path twice is fine only with identical content."""
        _check_relative(path)
        old = self._entries.get(path)
        if old is not None and old != entry:
            raise TreeConflict(
                f"two parts of the configuration write different content to {path}; "
                "remove one of the definitions"
            )
        self._entries[path] = entry

    def add_text(self, path: str, text: str, mode: int = 0o644) -> None:
        self.add(path, File(text.encode(), mode))

    def merge(self, other: Mapping[str, Entry], prefix: str = "") -> None:
        """Add every entry of `other`, below `prefix` when given."""
        for path, entry in other.items():
            self.add(f"{prefix}/{path}" if prefix else path, entry)


def write_tree(tree: Mapping[str, Entry], dest: Path) -> None:
    """Write `tree` to `dest` atomically.

    Everything goes to a temporary directory beside `dest` first; only when that is
    complete is it renamed into place (an existing `dest` is replaced at that moment).
    On any error the temporary directory is removed and `dest` is left as it was.
    """
    dest = Path(dest)
    parent = dest.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=parent))
    old: Path | None = None
    try:
        os.chmod(tmp, 0o755)
        for path in sorted(tree):
            entry = tree[path]
            target = tmp / _check_relative(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(entry, Symlink):
                target.symlink_to(entry.target)
            else:
                target.write_bytes(entry.content)
                os.chmod(target, entry.mode)
        if dest.is_symlink() or dest.exists():
            if not dest.is_dir() or dest.is_symlink():
                raise PydeclosError(
                    f"{dest} exists and is not a directory; choose another output directory"
                )
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=parent))
            os.rename(dest, old / "tree")
        os.rename(tmp, dest)
    except BaseException:
        if old is not None and not dest.exists():
            os.rename(old / "tree", dest)
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
