"""Every standard module, in evaluation order (keep sorted within each group).

Every `system.py` imports these implicitly, as NixOS imports its module-list.nix.
A test checks that each file under modules/ is listed here.
"""

MODULES: list[str] = [
    # keep-sorted start
    "system/boot.py",
    "system/files.py",
    "system/image.py",
    "system/packages.py",
    "system/pydeclos.py",
    "system/systemd.py",
    "system/updates.py",
    # keep-sorted end
    # keep-sorted start
    "config/console.py",
    "config/environment.py",
    "config/i18n.py",
    "config/networkd.py",
    "config/networking.py",
    "config/time.py",
    "config/users.py",
    # keep-sorted end
    # keep-sorted start
    "tasks/filesystems.py",
    "tasks/swap.py",
    # keep-sorted end
    "security/sudo.py",
    # keep-sorted start
    "services/cron_jobs.py",
    "services/firewall.py",
    "services/getty.py",
    "services/nginx.py",
    "services/nginx_settings.py",
    "services/openssh.py",
    # keep-sorted end
]
