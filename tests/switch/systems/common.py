"""What both test generations share: the image id, a hostname, one /etc file kept as is,
a user whose password hash is a file that only the machine has, and one boot try for a
newly installed generation (boot counting falls back after the first failed boot, so the
VM test boots a failing generation once, not three times). The kernel command line holds,
besides the default serial console (a definition replaces the option's default),
`pydeclos vm`'s 10-minute device and start waits (pydeclos/vm/qemu.py VM_WAITS), which a
kexec boot does not get from the firmware."""

from pydeclos.vm.qemu import VM_WAITS

config = {
    "image": {"id": "swtest", "updates": {"boot_tries": 1}},
    "boot": {"kernel_params": ["console=ttyS0", *VM_WAITS]},
    "networking": {"hostname": "swtest"},
    "environment": {"etc": {"swtest/edited.conf": {"text": "declared in both\n"}}},
    "users": {"users": {"alice": {"is_normal_user": True,
                                  "hashed_password_file": "/etc/credstore/alice.hash"}}},
}
