"""A machine pulls its next generation from a signed update directory over HTTP.

Generation 1 of tests/switch/systems, with `image.updates` pointing at a server on the
host's loopback (the guest sees it at 10.0.2.100; `pydeclos vm --host-service`, nothing
else of the host or the outside) and trusting a throwaway gpg key. The host publishes the
session's generation 2 there, signed with that key; the guest runs `pydeclos switch` with
no --from: the plan comes from the signed SHA256SUMS, systemd-sysupdate downloads the
artifacts (url-file transfers, Verify=yes against the shipped keyring), and the machine
soft-reboots into generation 2. Costs one build of generation 1 with the update settings
(~1.5 min; the other generations are the session's) and one VM boot.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import socket
import subprocess
import threading
from collections.abc import Iterator

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
if [ ! -e $S/switched ]; then
  touch $S/switched
  p version_before "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")" > $S/before
  p boot_id_before "$(cat /proc/sys/kernel/random/boot_id)" >> $S/before
  p plan "$(pydeclos switch --dry-run --json | base64 -w0)" >> $S/before
  pydeclos switch --yes > $S/switch.log 2>&1
  status=$?
  if [ $status -ne 0 ]; then cat $S/before; cat $S/switch.log; exit $status; fi
  sleep 600
  exit 1
fi
cat $S/before
p switch_log "$(base64 -w0 < $S/switch.log)"
p version "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")"
p boot_id "$(cat /proc/sys/kernel/random/boot_id)"
p hello "$(systemctl is-active swtest-hello.service)"
p usr "$(findmnt -n -o SOURCE /usr)"
p failed "$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"
"""


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
    from pydeclos.vm.qemu import VmOptions, run_exec
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
            f"}}}}}}\n")
        first = build_system(system, work / "out", version=1).directory
        served = work / "served"
        publish(builds.v2, served / "swtest", sign_key=uid)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        image = work / "disk.raw"
        subprocess.run(["cp", "--sparse=always", str(image_of_generation(first)), str(image)],
                       check=True)
        from pydeclos.vm.qemu import PortForward

        run = run_exec(image, GUEST, VmOptions(persist=True,
                                               host_services=[PortForward(port, port)]),
                       timeout=1500, console_log=work / "console.log")
        assert run.report.status == 0, run.report.stdout + run.report.stderr
        yield fields(run.report.stdout)
    finally:
        server.shutdown()


def test_switch_without_from_pulls_the_published_generation_and_moves_to_it(fleet) -> None:
    log = base64.b64decode(fleet["switch_log"]).decode()
    assert fleet["version_before"] == "1"
    assert fleet["version"] == "2", log
    assert fleet["boot_id"] == fleet["boot_id_before"]  # soft-reboot, no kernel reboot
    assert fleet["hello"] == "active"
    assert fleet["failed"].strip() == ""
    plan = json.loads(base64.b64decode(fleet["plan"]))
    assert plan["to"]["version"] == 2 and plan["method"] == "soft-reboot"
    assert plan["to"]["where"].startswith("http://10.0.2.100:")
