"""Errors a user of `pydeclos build` can cause or fix (each message names the fix)."""

from __future__ import annotations

from pydeclos.errors import PydeclosError

SETUP_HINT = "run scripts/setup-host as root (from the pydeclos source tree) to install them"


class BuildError(PydeclosError):
    """A build could not start or did not finish; nothing was written to the output."""


class NotRootError(BuildError):
    """mkosi builds disk images as root."""


class HostToolsMissingError(BuildError):
    """mkosi or a tool it needs is missing or too old."""


class MirrorUnreachableError(BuildError):
    """The package mirror the build tree names cannot be reached."""


class SudoersInvalidError(BuildError):
    """visudo refuses a sudoers drop-in the configuration writes."""


class TreeInvalidError(BuildError):
    """The build tree is not something mkosi accepts."""


class PackageNotFoundError(BuildError):
    """A package the configuration asks for does not exist in the release."""


class PartitionTooSmallError(BuildError):
    """The image's content outgrew a partition size (image.*_size)."""


class MkosiFailedError(BuildError):
    """mkosi exited with an error that pydeclos does not recognise."""


class OutputExistsError(BuildError):
    """The requested generation already exists in the output directory."""
