"""Each generated file checked by the tool that will read it: nginx -t, sshd -t, nft -c,
systemd-analyze verify, systemd-sysusers/-tmpfiles (applied to a scratch root), visudo -c,
systemd-networkd's own parser (in empty network and mount namespaces).

Every check runs in a scratch directory, starts no service and touches nothing of the host
but its read-only binaries. Each returns None when the tool accepts the file, else the
tool's output (so a test can assert on it and show it). `check_tree` runs every check whose
file a lowered tree holds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import unavailable
from tests.lower import tools

ETC = "mkosi.extra/usr/share/pydeclos/etc"
NGINX_CONF = f"{ETC}/nginx/conf.d/pydeclos.conf"
SSHD_CONF = f"{ETC}/ssh/sshd_config.d/pydeclos.conf"
NFT_CONF = f"{ETC}/nftables.conf"
SUDOERS_DIR = f"{ETC}/sudoers.d"
NETWORK_DIR = "mkosi.extra/usr/lib/systemd/network"
NETWORKD = "/lib/systemd/systemd-networkd"
# networkd sees only our files and an empty /run (no bus, no state of the host's networkd),
# in a network namespace of its own, so it configures nothing of the host's.
NETWORKD_SCRIPT = """\
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/netif /etc/systemd/network
mount -t tmpfs tmpfs /etc/systemd/network
mount --bind "$0" /usr/lib/systemd/network
SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console exec {networkd}
"""

NGINX_DIR = f"{ETC}/nginx"
# A main nginx.conf like Debian's: its http-level directives (so a duplicate of one in
# ours fails here as on the machine), without its paths, including ours.
NGINX_MAIN = """\
pid {scratch}/nginx.pid;
error_log stderr;
events {{}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log off;
    gzip on;
    include {conf};
}}
"""
# A main sshd_config that includes ours, as Debian's does (Include first: ours wins).
SSHD_MAIN = """\
Include {conf}
HostKey {scratch}/host_ed25519_key
PidFile {scratch}/sshd.pid
"""


def nginx(conf: Path, scratch: Path) -> str | None:
    """`nginx -t` on a main config in `scratch` that includes `conf` (no server started)."""
    tools.need("nginx")
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "logs").mkdir(exist_ok=True)
    main = scratch / "nginx.conf"
    main.write_text(NGINX_MAIN.format(scratch=scratch, conf=conf))
    result = tools.run(["nginx", "-t", "-q", "-e", "stderr", "-p", f"{scratch}/", "-c", main])
    return None if result.returncode == 0 else result.stdout + result.stderr


def nginx_includes(tree: Path, scratch: Path) -> Path:
    """A file in `scratch` including every nginx file the tree writes, as Debian's
    nginx.conf does."""
    conf = tree / NGINX_DIR
    scratch.mkdir(parents=True, exist_ok=True)
    included = scratch / "includes.conf"
    included.write_text(f"include {conf}/conf.d/*.conf;\ninclude {conf}/sites-enabled/*;\n")
    return included


def sshd(conf: Path, scratch: Path) -> str | None:
    """`sshd -t` on a main sshd_config in `scratch` that includes `conf`, with a throw-away
    host key (sshd -t refuses to check without one)."""
    tools.need("sshd", "ssh-keygen")
    scratch.mkdir(parents=True, exist_ok=True)
    key = scratch / "host_ed25519_key"
    if not key.exists():
        made = tools.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        assert made.returncode == 0, made.stderr
    main = scratch / "sshd_config"
    main.write_text(SSHD_MAIN.format(scratch=scratch, conf=conf))
    sshd_path = shutil.which("sshd") or "/usr/sbin/sshd"  # sshd -t wants an absolute path
    # sshd -t needs its privilege-separation directory, which only a running system has.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    result = tools.run([sshd_path, "-t", "-f", main])
    return None if result.returncode == 0 else result.stdout + result.stderr


def sshd_effective(conf: Path, scratch: Path) -> dict[str, list[str]]:
    """What sshd makes of `conf` (`sshd -T`): keyword (lower case) -> its values' first
    words, lower case; after `sshd` has accepted it."""
    assert sshd(conf, scratch) is None
    sshd_path = shutil.which("sshd") or "/usr/sbin/sshd"
    result = tools.run([sshd_path, "-T", "-f", scratch / "sshd_config"])
    assert result.returncode == 0, result.stderr
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        found.setdefault(key, []).append(value.split()[0].lower() if value else "")
    return found


def nft(rules: Path) -> str | None:
    """`nft -c` in a private mount namespace where /etc/protocols is empty, as in an image
    without netbase. Needs root (nft -c opens a netlink socket)."""
    tools.need("nft", "unshare")
    if os.geteuid() != 0:
        unavailable("needs root: nft -c and a private mount namespace need root")
    hide = "mount --bind /dev/null /etc/protocols && " if Path("/etc/protocols").exists() else ""
    result = tools.run(["unshare", "--mount", "sh", "-c", f'{hide}exec nft -c -f "$0"', rules])
    return None if result.returncode == 0 else result.stdout + result.stderr


def unit_names(tree: Path) -> list[str]:
    """The units a tree writes, and those its drop-ins extend (a template's through an
    instance)."""
    extra = tree / "mkosi.extra"
    names = [u.name for u in tools.unit_files(extra)]
    drop_in_dirs = sorted((extra / tools.UNIT_DIR).glob("*.d"))
    return names + [d.name.removesuffix(".d").replace("@.", "@tty1.") for d in drop_in_dirs]


def units(tree: Path, scratch: Path, names: list[str] | None = None) -> str | None:
    """`systemd-analyze verify` on the tree's units (or `names`) over the host's units."""
    tools.need("systemd-analyze")
    extra = tree / "mkosi.extra"
    if names is None:
        names = unit_names(tree)
    if not names:
        return None
    root = tools.verify_root(extra, scratch / "root")
    result = tools.run(["systemd-analyze", "verify", f"--root={root}", "--man=no",
                        "--recursive-errors=no", *names])
    output = result.stdout + result.stderr
    ours = [line for line in output.splitlines()
            if any(f"/{n}" in line for n in names) or "pydeclos" in line]
    bad = [line for line in ours if "Unknown" in line or "ignoring" in line]
    return None if result.returncode == 0 and not bad else output


def accounts(tree: Path, scratch: Path) -> tuple[str | None, Path]:
    """systemd-sysusers and systemd-tmpfiles applied to a scratch copy of the tree (what
    mkosi does at build time); returns the tools' complaint, if any, and the root."""
    tools.need("systemd-sysusers", "systemd-tmpfiles")
    try:
        root = tools.applied_root(tree / "mkosi.extra", scratch / "applied")
    except AssertionError as error:
        return str(error), scratch / "applied"
    # sysusers skips a line it cannot parse with a message, and exits 0: catch that too.
    check = tools.run(["systemd-sysusers", f"--root={root}", "--dry-run"])
    complaints = [line for line in check.stderr.splitlines()
                  if "pydeclos.conf" in line and "already exists" not in line]
    return ("\n".join(complaints) or None), root


CANARY = "zz-pydeclos-canary.network"


def networkd(network_dir: Path) -> str | None:
    """systemd-networkd started on exactly these .network files until it has loaded them
    (it logs `file:line: ...` for an unknown key or a value it cannot parse, and ignores
    them); returns those lines. Needs root (namespaces).

    networkd reads its files after dropping to its own user, so they are copied to a
    world-readable directory, with a canary file whose unknown key must be reported: a
    check that read nothing fails instead of passing."""
    tools.need(NETWORKD, "unshare")
    if os.geteuid() != 0:
        unavailable("needs root: networkd runs in private mount and network namespaces")
    scratch = Path(tempfile.mkdtemp(prefix="pydeclos-networkd-"))
    try:
        scratch.chmod(0o755)
        names = []
        for source in sorted(network_dir.glob("*.network")):
            (scratch / source.name).write_bytes(source.read_bytes())
            (scratch / source.name).chmod(0o644)
            names.append(source.name)
        (scratch / CANARY).write_text("[Match]\nName=canary0\n[Network]\nCanaryKey=1\n")
        (scratch / CANARY).chmod(0o644)
        log = _networkd_log(scratch)
    finally:
        shutil.rmtree(scratch)
    if not any(CANARY in line and "CanaryKey" in line for line in log):
        return "networkd did not read the files:\n" + "\n".join(log)
    complaints = [line for line in log if any(n in line for n in names)
                  and not line.startswith("Skipping overridden file")]
    return "\n".join(complaints) or None


def _networkd_log(network_dir: Path) -> list[str]:
    script = NETWORKD_SCRIPT.format(networkd=NETWORKD)
    process = subprocess.Popen(["unshare", "--mount", "--net", "sh", "-c", script, network_dir],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line.rstrip("\n"))
            if line.startswith("Enumeration completed"):
                break
    finally:
        process.kill()
        process.wait()
    return log


def visudo(sudoers: Path) -> str | None:
    """`visudo -c -f` on one sudoers file (security.sudo's drop-in)."""
    tools.need("visudo")
    result = tools.run(["visudo", "-c", "-f", sudoers])
    return None if result.returncode == 0 else (result.stdout + result.stderr
                                                 or f"visudo exited {result.returncode}")


def check_tree(tree: Path, scratch: Path, *, unit_names: list[str] | None = None,
               with_units: bool = True) -> dict[str, str]:
    """Every check whose input the tree holds; {check: complaint} for those that failed."""
    failed: dict[str, str] = {}
    if (tree / NGINX_CONF).exists() and (problem := nginx(nginx_includes(tree, scratch / "nginx"),
                                                          scratch / "nginx")):
        failed["nginx -t"] = problem
    if (tree / SSHD_CONF).exists() and (problem := sshd(tree / SSHD_CONF, scratch / "sshd")):
        failed["sshd -t"] = problem
    if (tree / NFT_CONF).exists() and (problem := nft(tree / NFT_CONF)):
        failed["nft -c"] = problem
    if (tree / SUDOERS_DIR).is_dir():
        for sudoers in sorted((tree / SUDOERS_DIR).iterdir()):
            if problem := visudo(sudoers):
                failed[f"visudo -c {sudoers.name}"] = problem
    if (tree / NETWORK_DIR).is_dir() and (problem := networkd(tree / NETWORK_DIR)):
        failed["systemd-networkd"] = problem
    problem, _ = accounts(tree, scratch)
    if problem:
        failed["sysusers/tmpfiles"] = problem
    if with_units and (problem := units(tree, scratch, unit_names)):
        failed["systemd-analyze verify"] = problem
    return failed
