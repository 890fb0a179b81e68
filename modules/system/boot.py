"""Kernel, kernel command line, kernel modules and sysctl settings.

The image boots a unified kernel image through systemd-boot; `boot.kernel_params` end up in
its command line, after the `usrhash=` that pins the /usr slot.
"""

import re

from pydeclos import option
from pydeclos import types as t

SYSCTL_KEY = re.compile(r"^[a-z0-9_*-]+([./][a-z0-9_*-]+)*$", re.IGNORECASE)
MODULE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

options = {"boot": {
    "kernel_packages": option(list[t.package], default=["linux-image-cloud-amd64"],
                              description=("Kernel packages to install; they are added to "
                                           "`packages`. The cloud flavour boots VMs and most "
                                           "virtual hardware; use `linux-image-amd64` for "
                                           "bare metal.")),
    "kernel_params": option(list[str], default=["console=ttyS0"], description=(
        "Kernel command line parameters, one per entry. The default sends the console to the "
        "first serial port, which is what `pydeclos vm` shows."), example=["quiet"]),
    "kernel_modules": option(list[str], default=[], description=(
        "Kernel modules loaded at boot (modules-load.d)."), example=["br_netfilter"]),
    "sysctl": option(dict[str, str | int | bool], default={}, description=(
        "sysctl settings (sysctl.d); booleans become 1 and 0."),
        example={"net.ipv4.ip_forward": True}),
}}


def config(cfg):
    boot = cfg.boot
    errors = []
    for param in boot.kernel_params:
        if not param or any(c.isspace() for c in param) or "'" in param or '"' in param:
            errors.append(f"boot.kernel_params: {param!r} must be one parameter without spaces "
                          "or quotes; split it into several entries")
    for name in boot.kernel_modules:
        if not MODULE_NAME.match(name):
            errors.append(f"boot.kernel_modules: {name!r} is not a module name (write the name "
                          "without `.ko`, e.g. `br_netfilter`)")
    for key in boot.sysctl:
        if not SYSCTL_KEY.match(key):
            errors.append(f"boot.sysctl: {key!r} is not a sysctl key (e.g. `net.ipv4.ip_forward`)")
    if not boot.kernel_packages:
        errors.append("boot.kernel_packages is empty: the image needs a kernel to boot; "
                      "e.g. [\"linux-image-cloud-amd64\"]")
    return {
        "packages": list(boot.kernel_packages),
        "assertions": [{"assertion": False, "message": m} for m in errors],
    }
