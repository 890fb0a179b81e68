"""A machine pulls its next generation from a signed update directory over HTTP, by its timer.

Generation 1 of tests/switch/systems, with `image.updates` pointing at a server on the
host's loopback (the guest sees it at 10.0.2.100; `pydeclos vm --host-service`, nothing
else of the host or the outside), trusting a throwaway gpg key, and automatic updates with
policy "switch" on a test-only calendar (every 20 s, no random delay, AccuracySec=1s
instead of systemd's 1 min). The host first publishes generation 1 itself, so the timer's runs
find nothing newer and say so; when the guest asks (GET /publish-next), the host publishes
the session's generation 2, signed with that key. The guest checks the plan of `pydeclos
switch --dry-run --json` (no --from: from the signed SHA256SUMS) and waits: the timer's
pydeclos-update.service downloads generation 2 as deltas from generation 1 (published with
it), rebuilds the artifacts from its own slot and UKI, installs them and soft-reboots the
machine into generation 2.
Before that, the host serves three sets of generation 2 that the machine must refuse, one
after the other (GET /serve/<set>; they publish no generation 1, so no deltas: the whole
files, by systemd-sysupdate's url-file transfers, Verify=yes against the shipped keyring):
its usr file replaced after signing by a small valid xz
(pydeclos' plan checks only the small files, so systemd-sysupdate's download refuses it:
the slot stays `_empty`), SHA256SUMS.gpg made by another key, and no SHA256SUMS.gpg (the
timer stopped and its run waited out while the host changes sets: sysupdate must not
download one file of a set and the next of another, as a real server would never serve).
For each the guest waits until /var/lib/pydeclos/last-update.json says why the timer's run
refused it, and records `pydeclos status --json` and IMAGE_VERSION (still 1).
Costs one build of generation 1 with the update settings (~1.5 min; the other generations
are the session's), one VM boot, and several minutes of timer runs inside it.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import lzma
import re
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pydeclos.switch.publish import publish
from pydeclos.switch.source import open_output
from tests.conftest import scratch
from tests.switch.builds import SYSTEMS, SwitchBuilds, switch_builds_in
from tests.switch.keys import armored, signing_key

pytestmark = [pytest.mark.needs_root, pytest.mark.needs_mkosi, pytest.mark.vm]

GUEST = r"""
set -u
S=/var/lib/fleettest
mkdir -p $S
p() { printf '%s\t%s\n' "$1" "$2"; }
get() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=900)' \
  "http://10.0.2.100:@PORT@/$1"; }
# Stop the timer and wait out a run in progress, so that no run reads from two sets.
quiet() {
  systemctl stop pydeclos-update.timer
  while [ "$(systemctl show -P ActiveState pydeclos-update.service)" = activating ]; do sleep 2; done
}
ran() { journalctl -u pydeclos-update.service -o cat --no-pager | grep -q "$1"; }
if [ ! -e $S/switched ]; then
  touch $S/switched
  p version_before "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")" > $S/before
  p boot_id_before "$(cat /proc/sys/kernel/random/boot_id)" >> $S/before
  p timer "$(systemctl is-active pydeclos-update.timer)" >> $S/before
  # Only generation 1 is published: a run of the timer's service finds nothing newer.
  for i in $(seq 60); do ran 'nothing to do' && break; sleep 5; done
  # Generation 2 as the three refused sets: the timer's run refuses each and says why.
  for set in altered:'DOWNLOAD INVALID' otherkey:'does not verify' unsigned:'has no SHA256SUMS.gpg'; do
    name=${set%%:*}
    quiet
    get "serve/$name" || { cat $S/before; exit 2; }
    systemctl start pydeclos-update.timer
    for i in $(seq 120); do
      grep -q "${set#*:}" /var/lib/pydeclos/last-update.json 2>/dev/null && break; sleep 5
    done
    quiet  # the last run (this refusal, or another one of it) left the service failed
    pydeclos status --json > $S/status.json
    p "refused_$name" "$(base64 -w0 $S/status.json)" >> $S/before
    p "version_$name" "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")" >> $S/before
    p "generations_$name" "$(pydeclos generations --json | base64 -w0)" >> $S/before
    disk=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["usr"]["disk"])' < $S/status.json)
    p "labels_$name" "$(partx -g -o NAME "/dev/$disk" | tr '\n' ' ')" >> $S/before
  done
  p status_line "$(pydeclos status | grep '^last update')" >> $S/before
  quiet
  get publish-next || { cat $S/before; exit 2; }
  p plan "$(pydeclos switch --dry-run --json | base64 -w0)" >> $S/before
  systemctl start pydeclos-update.timer
  sleep 900  # the timer's service switches; the soft-reboot ends this script
  cat $S/before
  journalctl -u pydeclos-update.service -o cat --no-pager
  exit 1
fi
cat $S/before
p last_update "$(pydeclos status --json | base64 -w0)"
p update_log "$(journalctl -u pydeclos-update.service -o cat --no-pager | base64 -w0)"
p version "$(. /usr/lib/os-release; echo "$IMAGE_VERSION")"
p boot_id "$(cat /proc/sys/kernel/random/boot_id)"
p hello "$(systemctl is-active swtest-hello.service)"
p usr "$(findmnt -n -o SOURCE /usr)"
p failed "$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"
p leftovers "$(ls -d /var/tmp/pydeclos-delta-* /dev/shm/pydeclos-delta-* 2>/dev/null | wc -l)"
"""


@dataclass
class Sets:
    """The update directories the server can serve at /swtest/, and which one it serves."""

    directories: dict[str, Path]
    serving: str = "good"


class Server(http.server.SimpleHTTPRequestHandler):
    """The update directory; GET /publish-next publishes the next generation into the good
    set and serves that, GET /serve/<set> serves another set."""

    def __init__(self, *args: Any, sets: Sets, publish_next: Callable[[], object],
                 **kwargs: Any) -> None:
        self.sets = sets
        self.publish_next = publish_next  # before super(): it handles the request
        super().__init__(*args, directory=str(sets.directories[sets.serving]), **kwargs)

    def do_GET(self) -> None:
        if self.path == "/publish-next":
            self.publish_next()
            self.sets.serving = "good"
        elif self.path.startswith("/serve/") and self.path[7:] in self.sets.directories:
            self.sets.serving = self.path[7:]
        else:
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def refused_sets(work: Path, first_uid: str, v2: Path) -> dict[str, Path]:
    """Generation 2 published three ways a machine must refuse, each in a directory of its
    own (served at the same URL): its usr file replaced after signing, signed by another key
    (a throwaway key with the same user id), and unsigned. The replacement is a valid xz of
    1 MiB of zeros, so the machine downloads a few kB, not the whole /usr, before the
    checksum refuses it."""
    sets = {name: work / "served" / name for name in ("altered", "otherkey", "unsigned")}
    publish(v2, sets["altered"] / "swtest", sign_key=first_uid)
    usr = open_output(sets["altered"] / "swtest").artifact("usr")  # as published: .raw.xz
    assert usr is not None and usr.name.endswith(".raw.xz")
    altered = usr.with_name(usr.name + ".altered")  # a new file: the build's stays intact
    altered.write_bytes(lzma.compress(bytes(2**20), format=lzma.FORMAT_XZ))
    altered.replace(usr)
    (work / "otherkey").mkdir()
    with signing_key(work / "otherkey") as (other_uid, _):
        publish(v2, sets["otherkey"] / "swtest", sign_key=other_uid)
    publish(v2, sets["unsigned"] / "swtest")
    return sets


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fields(stdout: str) -> dict[str, str]:
    return {key: value for key, sep, value in (line.partition("\t") for line in stdout.splitlines())
            if sep}


@pytest.fixture(scope="module")
def fleet(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with scratch(request, tmp_path_factory, "fleet") as work:
        yield from serve_and_run(tmp_path_factory, work)


def serve_and_run(tmp_path_factory: pytest.TempPathFactory, work: Path) -> Iterator[dict[str, str]]:
    """Serve generation 1's published set, boot it, and let its timer update it."""
    from pydeclos.build.system import build_system
    from pydeclos.vm.qemu import PortForward, VmOptions, run_exec
    from pydeclos.vm.target import image_of_generation

    builds: SwitchBuilds = switch_builds_in(tmp_path_factory.getbasetemp())
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
            f"}}}},\n"
            # on time, not up to systemd's default AccuracySec=1min late: the VM waits less
            f" 'systemd': {{'timers': {{'pydeclos-update': {{\n"
            f"    'timer_config': {{'AccuracySec': '1s'}}}}}}}}}}\n")
        first = build_system(system, work / "out", version=1).directory
        good = work / "served" / "good"
        publish(first, good / "swtest", sign_key=uid)
        sets = Sets({"good": good, **refused_sets(work, uid, builds.v2)})
        handler = functools.partial(
            Server, sets=sets,
            publish_next=lambda: publish(builds.v2, good / "swtest", sign_key=uid))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            image = work / "disk.raw"
            subprocess.run(["cp", "--sparse=always", str(image_of_generation(first)),
                            str(image)], check=True)
            run = run_exec(image, GUEST.replace("@PORT@", str(port)),
                           VmOptions(persist=True, host_services=[PortForward(port, port)]),
                           timeout=2700, console_log=work / "console.log")
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
    # Generation 1 was published before 2, so 2 came as deltas from it (switch/delta.py):
    # a few MB instead of the whole files, rebuilt and checked, then installed like a local
    # source's, with progress from sysupdate's notifications (a line per quarter, in bytes).
    delta = re.search(r"^downloaded generation 2 as deltas from generation 1: ([\d.]+) MB "
                      r"instead of ([\d.]+) MB$", log, re.M)
    assert delta is not None, log
    assert float(delta[1]) < 0.2 * float(delta[2]), log
    lines = [line for line in log.splitlines() if line.startswith("installing generation 2: ")]
    assert len(lines) >= 3 and lines[-1].startswith("installing generation 2: 100% ("), log
    assert fleet["leftovers"] == "0"  # the rebuilt files went before the soft-reboot


@pytest.mark.parametrize(("name", "generation", "why"), [
    ("altered", 2, "DOWNLOAD INVALID: Checksum"),  # systemd-pull, as sysupdate downloads it
    ("otherkey", None, "does not verify against the key this image trusts"),
    ("unsigned", None, "has no SHA256SUMS.gpg"),
])
def test_a_refused_update_leaves_the_machine_on_its_generation_and_says_why(
        fleet, name: str, generation: int | None, why: str) -> None:
    status = json.loads(base64.b64decode(fleet[f"refused_{name}"]))
    last = status["last_update"]
    assert last["result"] == "refused", last
    assert why in last["reason"], last
    assert last["generation"] == generation, last
    assert last["source"].startswith("http://10.0.2.100:")
    assert last["time"].endswith("Z")
    assert fleet[f"version_{name}"] == "1" and status["version"] == 1
    # The refused run fails the timer's service until a later run succeeds (docs/updates.md).
    assert "pydeclos-update.service" in status["failed_units"], status
    generations = json.loads(base64.b64decode(fleet[f"generations_{name}"]))
    assert [row["version"] for row in generations["generations"]] == [1], generations
    assert "swtest_2" not in fleet[f"labels_{name}"]
    assert fleet[f"labels_{name}"].split().count("_empty") == 2, fleet[f"labels_{name}"]


def test_status_shows_the_last_update(fleet) -> None:
    assert fleet["status_line"].startswith("last update: "), fleet["status_line"]
    assert " refused: " in fleet["status_line"]
    assert "has no SHA256SUMS.gpg" in fleet["status_line"]
    after = json.loads(base64.b64decode(fleet["last_update"]))["last_update"]
    assert after["result"] == "installed" and after["generation"] == 2, after
    assert after["reason"] == "activating by soft-reboot", after
