"""Generation 4: generation 2 with one more kernel parameter, so `switch --method auto` has
to kexec (a soft-reboot keeps the running kernel's command line). The same packages as
generation 2: a config-only rebuild, not another kernel to download and boot."""

imports = ["./v2.py"]

config = {"boot": {"kernel_params": ["swtest.generation=4"]}}
