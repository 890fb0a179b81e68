"""`python -m pydeclos.vm.relay PORT`: one guest connection to a server on the host's loopback.

qemu starts this for each connection the guest opens to a `host_services` address
(guestfwd's `cmd:`), with the guest's connection as stdin and stdout. A chardev target would
connect once, at qemu's start, and serve one connection only.
"""

from __future__ import annotations

import os
import socket
import sys
import threading


def pump(read_fd: int, write: socket.socket | int) -> None:
    """Copy bytes until end of file, then pass the end on."""
    while chunk := os.read(read_fd, 65536):
        if isinstance(write, socket.socket):
            write.sendall(chunk)
        else:
            os.write(write, chunk)
    if isinstance(write, socket.socket):
        write.shutdown(socket.SHUT_WR)
    else:
        os.close(write)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        sys.stderr.write("usage: python -m pydeclos.vm.relay PORT\n")
        return 2
    try:
        server = socket.create_connection(("127.0.0.1", int(argv[0])))
    except OSError:
        return 1  # the guest sees its connection closed, as with no server
    inbound = threading.Thread(target=pump, args=(0, server), daemon=True)
    inbound.start()
    pump(server.fileno(), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
