"""A machine pulls its next generation from a signed update directory over HTTP, by its timer.

Generation 1 of tests/switch/systems, with `image.updates` pointing at a server on the
host's loopback (the guest sees it at 10.0.2.100; `pydeclos vm --host-service`, nothing
else of the host or the outside), trusting a throwaway gpg key, and automatic updates with
policy "switch" on a test-only calendar (every 20 s, no random delay; timers fire up to
AccuracySec=1min late). The host first publishes generation 1 itself, so the timer's runs
find nothing newer and say so; when the guest asks (GET /publish-next), the host publishes
the session's generation 2, signed with that key. The guest checks the plan of `pydeclos
switch --dry-run --json` (no --from: from the signed SHA256SUMS) and waits: the timer's
pydeclos-update.service downloads the artifacts (systemd-sysupdate's url-file transfers,
Verify=yes against the shipped keyring) and soft-reboots the machine into generation 2.
Costs one build of generation 1 with the update settings (~1.5 min; the other generations
are the session's), one VM boot, and up to ~3 min of timer waits inside it.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pydeclos.switch.publish import publish
from tests.switch.builds import SYSTEMS, SwitchBuilds, switch_builds_in
from tests.switch.keys import armored, signing_key

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

GUEST = r"""
set -u
S=/var/lib/fleettest
mkdir -p $S
p() { printf '%s\t%s\n' "$1" "$2"; }
ran() { journalctl -u pydeclos-update.service -o cat --no-pager | grep -q "$1"; }
if [ ! -e $S/switched ]; then
  touch $S/switched
  p version_before "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")" > $S/before
  p boot_id_before "$(cat /proc/sys/kernel/random/boot_id)" >> $S/before
  p timer "$(systemctl is-active pydeclos-update.timer)" >> $S/before
  # Only generation 1 is published: a run of the timer's service finds nothing newer.
  for i in $(seq 60); do ran 'nothing to do' && break; sleep 5; done
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=900)' \
    "http://10.0.2.100:@PORT@/publish-next" || { cat $S/before; exit 2; }
  p plan "$(pydeclos switch --dry-run --json | base64 -w0)" >> $S/before
  sleep 900  # the timer's service switches; the soft-reboot ends this script
  cat $S/before
  journalctl -u pydeclos-update.service -o cat --no-pager
  exit 1
fi
cat $S/before
p update_log "$(journalctl -u pydeclos-update.service -o cat --no-pager | base64 -w0)"
p version "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")"
p boot_id "$(cat /proc/sys/kernel/random/boot_id)"
p hello "$(systemctl is-active swtest-hello.service)"
p usr "$(findmnt -n -o SOURCE /usr)"
p failed "$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"
"""


class Server(http.server.SimpleHTTPRequestHandler):
    """The update directory; GET /publish-next publishes the next generation first."""

    def __init__(self, *args: Any, publish_next: Callable[[], object], **kwargs: Any) -> None:
        self.publish_next = publish_next  # before super(): it handles the request
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if self.path != "/publish-next":
            super().do_GET()
            return
        self.publish_next()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fields(stdout: str) -> dict[str, str]:
    return {key: value for key, sep, value in (line.partition("\t") for line in stdout.splitlines())
            if sep}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    from pydeclos.build.system import build_system
    from pydeclos.vm.qemu import PortForward, VmOptions, run_exec
    from pydeclos.vm.target import image_of_generation

    builds: SwitchBuilds = switch_builds_in(tmp_path_factory.getbasetemp())
    work = tmp_path_factory.mktemp("fleet")
    port = free_port()
    with signing_key(work) as (uid, _):
        system = work / "system.py"
        system.write_text(
            f"imports = [{str(SYSTEMS / 'v1.py')!r}]\n\n"
            f"config = {{'image': {{'updates': {{\n"
            f"    'source': 'http://10.0.2.100:{port}/swtest/',\n"
            f"    'public_key': {armored(uid)!r},\n"
            f"    'automatic': {{'enable': True, 'policy': 'switch',\n"
            f"                  'calendar': '*:*:0/20', 'random_delay': 0}},\n"
            f"}}}}}}\n")
        first = build_system(system, work / "out", version=1).directory
        served = work / "served"
        publish(first, served / "swtest", sign_key=uid)
        handler = functools.partial(
            Server, directory=str(served),
            publish_next=lambda: publish(builds.v2, served / "swtest", sign_key=uid))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            image = work / "disk.raw"
            subprocess.run(["cp", "--sparse=always", str(image_of_generation(first)),
                            str(image)], check=True)
            run = run_exec(image, GUEST.replace("@PORT@", str(port)),
                           VmOptions(persist=True, host_services=[PortForward(port, port)]),
                           timeout=1800, console_log=work / "console.log")
            assert run.report.status == 0, run.report.stdout + run.report.stderr
            yield fields(run.report.stdout)
        finally:
            server.shutdown()


def test_the_timer_pulls_the_published_generation_and_switches_to_it(fleet) -> None:
    log = base64.b64decode(fleet["update_log"]).decode()
    assert fleet["version_before"] == "1"
    assert fleet["timer"] == "active"
    assert fleet["version"] == "2", log
    assert fleet["boot_id"] == fleet["boot_id_before"]  # soft-reboot, no kernel reboot
    assert fleet["hello"] == "active"
    assert fleet["failed"].strip() == "", log  # the soft-reboot stopping the service is no failure
    plan = json.loads(base64.b64decode(fleet["plan"]))
    assert plan["to"]["version"] == 2 and plan["method"] == "soft-reboot"
    assert plan["to"]["where"].startswith("http://10.0.2.100:")
    # The timer's service did it: first nothing newer than 1, then the switch to 2.
    nothing = log.index("nothing to do: generation 1 is already running")
    assert log.index("activating generation 2 by soft-reboot", nothing) > nothing, log
    assert "\r" not in log and "\x1b[" not in log  # quiet lines in the journal, no bars
