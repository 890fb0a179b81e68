"""Lowering reads only the sink options: a view of the configuration records every read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from pydeclos.lower import SINKS, lower
from tests.lower.cases import case_names, evaluate_case


class Recording(Mapping[str, Any]):
    """A read-only view of plain data that notes the dotted path of everything read."""

    def __init__(self, data: Mapping[str, Any], path: tuple[str, ...], reads: set[str]) -> None:
        self._data, self._path, self._reads = data, path, reads

    def _wrap(self, key: str, value: Any) -> Any:
        path = (*self._path, key)
        self._reads.add(".".join(path))
        return Recording(value, path, self._reads) if isinstance(value, Mapping) else value

    def __getitem__(self, key: str) -> Any:
        return self._wrap(key, self._data[key])

    def _whole(self) -> None:
        """Listing the keys reads the whole mapping: recorded as `path.*`."""
        self._reads.add(".".join((*self._path, "*")))

    def __iter__(self) -> Iterator[str]:
        self._whole()
        return iter(self._data)

    def __len__(self) -> int:
        self._whole()
        return len(self._data)


def allowed(read: str) -> bool:
    """A sink, something inside one, or a key on the way to one (`boot` for
    `boot.kernel_params`, but not listing `boot.*`)."""
    return any(read == sink or read.startswith(f"{sink}.") or sink.startswith(f"{read}.")
               for sink in SINKS)


def outside_sinks(reads: set[str]) -> list[str]:
    return sorted(read for read in reads if not allowed(read))


@pytest.mark.parametrize("name", case_names())
def test_lowering_reads_nothing_but_the_sinks(name: str) -> None:
    reads: set[str] = set()
    tree = lower(Recording(evaluate_case(name), (), reads))
    assert len(tree) > 20
    assert outside_sinks(reads) == []
    assert {"image.id", "packages", "environment.etc", "systemd.units"} <= reads


def test_the_recording_notices_a_read_outside_the_sinks() -> None:
    reads: set[str] = set()
    view = Recording({"image": {"id": "x"}, "networking": {"hostname": "h"}}, (), reads)
    assert view["networking"]["hostname"] == "h"
    assert sorted(view["image"]) == ["id"]
    assert dict(view) and outside_sinks(reads) == ["*", "networking", "networking.hostname"]
