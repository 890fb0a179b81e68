"""Two real generations of tests/switch/systems (see builds.py)."""

from __future__ import annotations

import pytest

from tests.switch.builds import SwitchBuilds, switch_builds_in


@pytest.fixture(scope="session")
def switch_builds(tmp_path_factory: pytest.TempPathFactory) -> SwitchBuilds:
    return switch_builds_in(tmp_path_factory.getbasetemp())
