"""The activation method: the lightest one that is correct, and refusals for the others."""

from __future__ import annotations

import pytest

from pydeclos.switch.description import Description, kernel_release_of
from pydeclos.switch.errors import SwitchError
from pydeclos.switch.plan import choose_method, make_plan

K1, K2 = "6.12.1+deb13-cloud-amd64", "6.12.9+deb13-cloud-amd64"


def gen(version: int, kernel: str | None, params: list[str] | None = None) -> Description:
    return Description("img", version, f"gen{version}",
                       system={"kernel_command_line": params or ["console=ttyS0"]},
                       packages={"linux-image-" + kernel: "1"} if kernel else None,
                       kernel_release=kernel)


def test_same_kernel_soft_reboots() -> None:
    assert make_plan(gen(1, K1), gen(2, K1)).method == "soft-reboot"


def test_a_new_kernel_kexecs_or_reboots_without_kexec() -> None:
    plan = make_plan(gen(1, K1), gen(2, K2))
    assert (plan.method, plan.kernel_changed) == ("kexec", True)
    assert K1 in plan.why and K2 in plan.why
    assert make_plan(gen(1, K1), gen(2, K2), kexec_available=False).method == "reboot"


def test_a_new_command_line_cannot_soft_reboot() -> None:
    plan = make_plan(gen(1, K1), gen(2, K1, ["console=ttyS0", "quiet"]))
    assert plan.method == "kexec" and "command line" in plan.why
    with pytest.raises(SwitchError, match="cannot activate by soft-reboot.*--method kexec"):
        make_plan(gen(1, K1), gen(2, K1, ["quiet"]), requested="soft-reboot")


def test_an_unknown_kernel_means_a_reboot() -> None:
    assert make_plan(gen(1, K1), gen(2, None)).method == "reboot"


def test_kexec_asked_for_where_it_is_missing_is_refused() -> None:
    with pytest.raises(SwitchError, match="kexec is not available"):
        choose_method(False, False, "kexec", False, (K1, K1))


def test_kernel_release_comes_from_the_versioned_image_package() -> None:
    packages = {"linux-image-cloud-amd64": "6.12.1-1", "linux-image-6.12.1+deb13-cloud-amd64": "x"}
    assert kernel_release_of(packages) == "6.12.1+deb13-cloud-amd64"
