"""Booting images in qemu: interactively on the serial console, or to run one command.

`qemu.run_exec` boots, runs a command once the boot has finished (see `guest_exec`),
returns its output and status, and powers off; `target.resolve_image` turns a build
output or a system file into the disk image to boot.
"""
