"""Generation 4: generation 2 on Debian's generic kernel instead of the cloud one (another
`uname -r`), so `switch --method auto` has to kexec."""

imports = ["./v2.py"]

config = {"boot": {"kernel_packages": ["linux-image-amd64"]}}
