"""boot.*: what the image skips at boot (systemd-boot-update; the random seed once per boot)."""

from __future__ import annotations


def test_boot_loader_update_is_disabled_unless_asked_for(system) -> None:
    assert "systemd-boot-update.service" in system("").to_data()["systemd"]["disabled"]
    data = system('config = {"boot": {"update_loader_at_boot": True}}\n').to_data()
    assert "systemd-boot-update.service" not in data["systemd"]["disabled"]


def test_random_seed_is_refreshed_once_per_kernel_boot_not_at_each_soft_reboot(system) -> None:
    drop_ins = system("").to_data()["systemd"]["drop_ins"]["systemd-boot-random-seed.service"]
    text = drop_ins["50-pydeclos-once-per-boot"]
    # /run is emptied by a boot or kexec and kept by a soft-reboot.
    assert "ConditionPathExists=!/run/pydeclos-boot-random-seed-refreshed" in text
    assert "ExecStartPost=/usr/bin/touch /run/pydeclos-boot-random-seed-refreshed" in text
