"""The plan between two real builds: what a user reads before a switch, and the method."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pydeclos.cli import main

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi]


def _diff(*args: str) -> dict:
    result = CliRunner().invoke(main, ["diff", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_diff_v1_to_v2_lists_what_generation_2_changes(switch_builds) -> None:
    plan = _diff(str(switch_builds.v1), str(switch_builds.out))  # OUT/ means its newest
    assert (plan["from"]["version"], plan["to"]["version"]) == (1, 2)
    packages = plan["packages"]
    assert packages["exact"] is True
    assert "tree" in packages["added"] and packages["added"]["tree"]  # with its version
    assert packages["removed"] == {} and packages["upgraded"] == {}
    assert plan["units"]["added"] == ["swtest-hello.service"]
    assert plan["units"]["removed"] == []
    assert plan["etc"] == {"added": [], "removed": ["swtest/removed.conf"],
                           "changed": ["swtest/changed.conf"]}
    assert plan["kernel_changed"] is False and plan["command_line_changed"] is False
    assert plan["method"] == "soft-reboot"
    assert plan["from"]["usrhash"] != plan["to"]["usrhash"]


def test_diff_backwards_is_the_reverse(switch_builds) -> None:
    plan = _diff(str(switch_builds.v2), str(switch_builds.v1))
    assert list(plan["packages"]["removed"]) == ["tree"]
    assert plan["units"]["removed"] == ["swtest-hello.service"]
    assert plan["etc"]["added"] == ["swtest/removed.conf"]


def test_diff_reads_as_text(switch_builds) -> None:
    result = CliRunner().invoke(main, ["diff", str(switch_builds.v1), str(switch_builds.v2)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("  + tree ") for line in lines), result.output
    assert "  + swtest-hello.service" in lines
    assert "  - swtest/removed.conf" in lines
    assert "  ~ swtest/changed.conf" in lines
    assert any(line.startswith("method: soft-reboot, because") for line in lines)


def test_the_image_carries_the_pydeclos_that_built_it(switch_builds) -> None:
    from pydeclos.switch.source import open_output

    system = open_output(switch_builds.v2).describe()
    assert {"python3", "python3-click", "python3-networkx", "python3-typeguard"} <= set(
        system.packages or {})


def test_switch_dry_run_off_a_pydeclos_machine_says_so(switch_builds) -> None:
    result = CliRunner().invoke(main, ["switch", "--from", str(switch_builds.out), "--dry-run"])
    assert result.exit_code == 1
    assert "not a /usr built by pydeclos" in result.output
    assert "Traceback" not in result.output


def test_kexec_loads_exactly_the_ukis_kernel_initrd_and_command_line(switch_builds, tmp_path) -> None:
    """kexec-tools cannot load a UKI; its sections must be the build's kernel and initrd."""
    from pydeclos.switch.pe import split_uki
    from pydeclos.switch.source import open_output

    output = open_output(switch_builds.v2)
    kernel, initrd, cmdline = split_uki(output.artifact("uki"), tmp_path)
    assert kernel.read_bytes() == output.artifact("kernel").read_bytes()
    assert initrd.read_bytes() == output.artifact("initrd").read_bytes()
    assert f"usrhash={output.manifest['usrhash']}" in cmdline.split()


def test_another_kernel_command_line_means_kexec_and_says_why(switch_builds, tmp_path_factory) -> None:
    """Generation 4 is generation 2 with one more kernel parameter: the same kernel, which a
    soft-reboot would keep running with the old command line."""
    from tests.switch.builds import fourth_build_in

    plan = _diff(str(switch_builds.v2), str(fourth_build_in(tmp_path_factory.getbasetemp())))
    assert plan["from"]["kernel"] == plan["to"]["kernel"]
    assert plan["from"]["kernel"].endswith("-cloud-amd64")
    assert plan["kernel_changed"] is False and plan["command_line_changed"] is True
    assert plan["method"] == "kexec"
    assert plan["why"] == "the kernel command line changes"
    assert plan["packages"]["added"] == {} and plan["packages"]["removed"] == {}
