"""Errors `switch`, `rollback`, `generations`, `status` and `diff` report without a traceback."""

from __future__ import annotations

from pydeclos.errors import PydeclosError


class SwitchError(PydeclosError):
    """A switch or rollback could not go ahead; the message says whether the machine changed."""


class NotABuildOutputError(SwitchError):
    """SOURCE is not `OUT/` or `OUT/<n>/` of `pydeclos build`."""


class CorruptArtifactError(SwitchError):
    """An update artifact does not match SHA256SUMS."""


class RefusedError(SwitchError):
    """The switch would downgrade or change the image id, and was not told it may."""


class NothingNewerError(RefusedError):
    """The source's newest generation is the running one or older (`switch --if-newer`
    reports that as nothing to do)."""


class NotOnPydeclosError(SwitchError):
    """The command needs a running pydeclos machine and this is not one."""


class BusyError(SwitchError):
    """Another switch or rollback is running."""


class SlotTooSmallError(SwitchError):
    """The generation's /usr or verity image is larger than the machine's slot partitions."""

