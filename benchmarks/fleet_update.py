"""A fleet update end to end: bytes a machine downloads, and publish → running with a 1-minute poll.

    sudo .venv/bin/python benchmarks/fleet_update.py [--out OUT]

OUT holds generations 1 and 2 of tests/switch/systems (built into a temporary directory when
--out is not given); 2 adds a package and a service to 1 (a package change). Two more
builds, both of 1 plus the settings below: generation 1 itself, with `image.updates`
pointing at a server on the host's loopback (the guest reaches only it, at 10.0.2.100),
a throwaway signing key and automatic updates (policy "switch", calendar `*:*:00`, no random
delay: a one-minute poll), and a config-only change of it (one more /etc file), built as
generation 3 but only measured, never published.

The VM boots generation 1; the host has published it, so the timer finds nothing newer.
When the guest asks, the host publishes generation 2 (signed) and notes the time; the
machine's timer picks it up, downloads it (as deltas from generation 1, which was published
before it: switch/delta.py) and soft-reboots into it. Printed: seconds from the publish until
generation 2's `swtest-hello` is active (the guest's wall clock follows the host's through
qemu's RTC, to about a second), the bytes the server sent, by file, and what a config-only
update (1 -> 3) would send, with deltas and as whole files (a machine whose running
generation has no delta published).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GUEST = r"""
set -u
S=/var/lib/fleetbench
mkdir -p $S
ran() { journalctl -u pydeclos-update.service -o cat --no-pager | grep -q "$1"; }
if [ ! -e $S/asked ]; then
  touch $S/asked
  for i in $(seq 60); do ran 'nothing to do' && break; sleep 5; done
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=900)' \
    "http://10.0.2.100:@PORT@/publish-next" || exit 2
  sleep 1200  # the timer's service switches; the soft-reboot ends this script
  journalctl -u pydeclos-update.service -o cat --no-pager
  exit 1
fi
echo "version $(. /usr/lib/os-release; echo "$IMAGE_VERSION")"
echo "hello_active $(date -d "$(systemctl show -P ActiveEnterTimestamp --timestamp=us+utc \
  swtest-hello)" +%s.%N)"
"""

ROLES = ("usr", "usr_verity", "uki")


class CountingServer(http.server.SimpleHTTPRequestHandler):
    """Serves the update directory, counts the bytes of each file it sends, and publishes
    the next generation when asked (GET /publish-next)."""

    def __init__(self, *args: Any, sent: Counter[str], publish_next: Any, **kwargs: Any) -> None:
        self.sent = sent
        self.publish_next = publish_next
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if self.path == "/publish-next":
            self.publish_next()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        before = source.tell()
        super().copyfile(source, outputfile)
        self.sent[self.path.rsplit("/", 1)[-1]] += source.tell() - before

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def transfer_bytes(directory: Path, version: int) -> int:
    """What a machine downloads as whole files: the generation's files as published."""
    from pydeclos.switch.source import open_output

    output = open_output(directory, version)
    return sum((output.artifact(role) or Path("/dev/null")).stat().st_size for role in ROLES)


def main() -> int:
    from pydeclos.build.system import build_system
    from pydeclos.switch.publish import publish
    from pydeclos.vm.qemu import PortForward, VmOptions, run_exec
    from pydeclos.vm.target import image_of_generation
    from tests.switch.keys import armored, signing_key

    systems = ROOT / "tests" / "switch" / "systems"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="OUT holding generations 1 and 2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pydeclos-bench-", dir="/var/tmp") as scratch:
        work = Path(scratch)
        out = args.out or work / "out"
        if args.out is None:
            build_system(systems / "v1.py", out, version=1)
            build_system(systems / "v2.py", out, version=2)
        port = free_port()
        sent: Counter[str] = Counter()
        published: list[float] = []
        with signing_key(work) as (uid, _):
            settings = (
                f"imports = [{str(systems / 'v1.py')!r}]\n\n"
                f"config = {{'image': {{'updates': {{\n"
                f"    'source': 'http://10.0.2.100:{port}/swtest/',\n"
                f"    'public_key': {armored(uid)!r},\n"
                f"    'automatic': {{'enable': True, 'policy': 'switch',\n"
                f"                  'calendar': '*:*:00', 'random_delay': 0}},\n"
                f"}}}}, @ETC@}}\n")
            fleet = work / "fleet.py"
            fleet.write_text(settings.replace(", @ETC@", ""))
            first = build_system(fleet, work / "fleet", version=1).directory
            config_only = work / "config_only.py"
            config_only.write_text(settings.replace(
                "@ETC@", "'environment': {'etc': {'fleetbench.conf': {'text': 'changed\\n'}}}"))
            third = build_system(config_only, work / "fleet", version=3).directory
            aside = work / "config-only-served"  # 3 published after 1, never served
            publish(first, aside)
            config_delta = publish(third, aside).delta_bytes.get(1)
            served = work / "served"
            publish(first, served / "swtest", sign_key=uid)

            def publish_next() -> None:
                publish(out / "2", served / "swtest", sign_key=uid)
                published.append(time.time())
                sent.clear()  # count only what the update itself downloads

            handler = functools.partial(CountingServer, directory=str(served), sent=sent,
                                        publish_next=publish_next)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                image = work / "disk.raw"
                subprocess.run(["cp", "--sparse=always", str(image_of_generation(first)),
                                str(image)], check=True)
                run = run_exec(image, GUEST.replace("@PORT@", str(port)),
                               VmOptions(persist=True, host_services=[PortForward(port, port)]),
                               timeout=2400)
            finally:
                server.shutdown()
        if run.report.status != 0 or not published:
            print(run.report.stdout, run.report.stderr)
            return 1
        report = dict(line.split(" ", 1) for line in run.report.stdout.splitlines()
                      if line.count(" ") == 1)
        if report.get("version") != "2":
            print(f"the machine runs generation {report.get('version')}, not 2")
            return 1
        print(f"publish -> generation 2's service active (1-minute poll): "
              f"{float(report['hello_active']) - published[0]:.1f} s")
        print("bytes the server sent for the update (package change, 1 -> 2):")
        for name, count in sorted(sent.items(), key=lambda item: -item[1]):
            print(f"  {count / 2**20:8.1f} MiB  {name}")
        print(f"  {sum(sent.values()) / 2**20:8.1f} MiB  in all")
        with_deltas = f"{config_delta / 2**20:.1f} MiB" if config_delta else "(no deltas)"
        print(f"a config-only update (1 -> 3, one /etc file) would send {with_deltas} with "
              f"deltas, {transfer_bytes(aside, 3) / 2**20:.1f} MiB as whole files; the package "
              f"change's whole files are {transfer_bytes(served / 'swtest', 2) / 2**20:.1f} MiB")
        return 0


if __name__ == "__main__":
    sys.exit(main())
