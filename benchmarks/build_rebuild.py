"""Clean build against a config-only rebuild, the update payload, and pydeclos' own overhead.

    sudo .venv/bin/python benchmarks/build_rebuild.py [SYSTEM_FILE] [--warm-packages]
                                                      [--no-package-change]

All in one run, on one set of caches (a temporary directory, removed afterwards):

1. clean build: empty mkosi caches (incremental images, workspace and, unless
   --warm-packages, the package cache, so downloads count);
2. rebuild after a config-only change (the system plus one managed /etc file), on the
   caches the clean build left. The aim is a rebuild of at most 30 % of a clean build;
3. mkosi alone on the lowered tree of that same change, with the same options and caches
   (what `pydeclos build` adds over it is its overhead; the aim is at most 5 %);
4. a build after a package change (one more package), unless --no-package-change.

The generations are then published one after the other into one update directory, as a
fleet gets them (`pydeclos publish` compresses the partitions with xz, makes a zstd delta
per artifact against each older generation where it is smaller, and a recipe that remakes
the verity image from /usr; switch/compress.py, switch/delta.py), and each publish is timed.

The payload is what a machine downloads for an update: the usr and verity files and the
UKI as published, for a machine that takes whole files (a first install, or one whose
running generation was never published); and what a machine running the previous
generation downloads with the deltas.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from pydeclos.build.host import check_host_tools
from pydeclos.build.initrd_cache import InitrdCache
from pydeclos.build.mkosi import (
    CacheDirs,
    build_command,
    default_cache,
    incremental_dir,
    run_build,
    summary,
)
from pydeclos.build.pipeline import BuildResult
from pydeclos.build.progress import Progress
from pydeclos.build.self_copy import extra_tree_options
from pydeclos.build.system import build_system, evaluate_for_build, lower_to, with_version
from pydeclos.switch.delta import deltas_name, read_deltas, read_verity_recipe
from pydeclos.switch.publish import Published, publish
from pydeclos.switch.source import open_output

ROOT = Path(__file__).resolve().parent.parent
AIM = 0.30
OVERHEAD_AIM = 0.05
PAYLOAD_AIM = 80 * 10**6
PAYLOAD_ROLES = ("usr", "usr_verity", "uki")
EXTRA_PACKAGE = "less"


def changed_system(original: Path, directory: Path, name: str, package: str | None = None
                   ) -> Path:
    """A system file that imports `original` and adds one /etc file (a config-only change)
    and, with `package`, one package."""
    system = directory / f"{name}.py"
    etc = {"pydeclos-benchmark": {"text": f"{name} at {time.time():.0f}\n"}}
    config = {"environment": {"etc": etc}}
    if package:
        config["packages"] = [package]  # type: ignore[assignment]
    system.write_text(f"imports = [{str(original.resolve())!r}]\nconfig = {config!r}\n")
    return system


def timed_build(system: Path, out: Path, cache: CacheDirs, label: str
                ) -> tuple[float, BuildResult]:
    print(f"--- {label}", flush=True)
    started = time.monotonic()
    result = build_system(system, out, progress=Progress(), cache=cache)
    seconds = time.monotonic() - started
    print(f"--- {label}: generation {result.version} in {seconds:.1f} s", flush=True)
    return seconds, result


def mkosi_alone(system: Path, version: int, scratch: Path, cache: CacheDirs) -> float:
    """mkosi on the tree `pydeclos build` would lower for `system`, with the options and
    caches it would pass; only mkosi's run is timed."""
    print("--- mkosi alone on the same tree", flush=True)
    config, evaluation = evaluate_for_build(system)
    tree = scratch / "tree"
    lower_to(with_version(config, version), tree, evaluation)
    tools = check_host_tools()
    info = summary(tree, tools)
    output = scratch / "mkosi-out"
    output.mkdir()
    incremental = incremental_dir(cache, info)
    command = build_command(tree, output, version, tools, cache, incremental)
    (scratch / "self").mkdir()
    initrd = InitrdCache.for_build(incremental, info, tree, tools.mkosi_version)
    command[-1:-1] = extra_tree_options(tree, scratch / "self") + initrd.options()
    started = time.monotonic()
    status, lines = run_build(command, tools, scratch / "mkosi.log", Progress(quiet=True), False)
    seconds = time.monotonic() - started
    if status != 0:
        raise SystemExit("mkosi alone failed:\n" + "\n".join(lines[-20:]))
    print(f"--- mkosi alone: {seconds:.1f} s", flush=True)
    return seconds


def published_sizes(directory: Path, result: BuildResult) -> dict[str, int]:
    """Role -> bytes of each payload file as published in `directory` (xz partitions)."""
    published = open_output(directory, result.version)
    return {role: published.size_of(role) for role in PAYLOAD_ROLES}


def mb(size: int) -> str:
    return f"{size / 10**6:6.1f} MB"


def timed_publish(result: BuildResult, directory: Path) -> tuple[float, Published]:
    started = time.monotonic()
    published = publish(result.directory, directory)
    seconds = time.monotonic() - started
    print(f"--- published generation {result.version} in {seconds:.1f} s", flush=True)
    return seconds, published


def payload_line(label: str, sizes: dict[str, int]) -> str:
    parts = ", ".join(f"{role} {sizes[role] / 10**6:.1f}" for role in PAYLOAD_ROLES)
    total = sum(sizes.values())
    verdict = "met" if total <= PAYLOAD_AIM else "missed"
    return (f"payload, {label:<15} {mb(total)}  ({parts} MB; aim <= "
            f"{PAYLOAD_AIM / 10**6:.0f} MB: {verdict})")


def delta_line(label: str, directory: Path, new: BuildResult, base: int,
               total: int | None) -> str:
    """What a machine running generation `base` downloads for `new` (`total`, as `publish`
    counted it), once both are published in `directory`, artifact by artifact."""
    listing = directory / deltas_name(new.image_id, new.version)
    deltas = read_deltas(listing).get(base, {})
    remade = read_verity_recipe(listing) is not None and "usr" in deltas
    whole = published_sizes(directory, new)
    total = sum(whole.values()) if total is None else total
    parts = []
    for role in PAYLOAD_ROLES:
        if role == "usr_verity" and remade:
            parts.append(f"{role} remade from the rebuilt usr")
        elif role in deltas:
            parts.append(f"{role} delta {(directory / deltas[role].delta).stat().st_size / 10**3:.0f} kB")
        else:
            parts.append(f"{role} whole {whole[role] / 10**6:.1f} MB")
    verdict = "met" if total <= PAYLOAD_AIM else "missed"
    return (f"  as deltas from generation {base}, {label:<15} {mb(total)}  ({', '.join(parts)}; "
            f"aim <= {PAYLOAD_AIM / 10**6:.0f} MB: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", nargs="?", type=Path,
                        default=ROOT / "examples" / "minimal" / "system.py")
    parser.add_argument("--warm-packages", action="store_true",
                        help="reuse the shared package cache (leave downloads out of 'clean')")
    parser.add_argument("--no-package-change", action="store_true",
                        help="skip the build after a package change (and its payload)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pydeclos-bench-", dir="/var/tmp") as scratch:
        root = Path(scratch)
        cache = CacheDirs.under(root / "cache")
        if args.warm_packages:
            cache = CacheDirs(default_cache().packages, cache.incremental, cache.workspace,
                              cache.logs)
        out = root / "out"
        clean, built = timed_build(args.system, out, cache, "clean build")
        config_only = changed_system(args.system, root, "config_change")
        rebuild, rebuilt = timed_build(config_only, out, cache, "rebuild after an /etc change")
        alone_dir = root / "alone"
        alone_dir.mkdir()
        alone = mkosi_alone(config_only, rebuilt.version + 1, alone_dir, cache)
        package_result = None
        if not args.no_package_change:
            _, package_result = timed_build(
                changed_system(args.system, root, "package_change", EXTRA_PACKAGE), out, cache,
                f"build after a package change (+{EXTRA_PACKAGE})")
        served = root / "served"  # published one after the other, as a fleet gets them
        first_publish, _ = timed_publish(built, served)
        config_publish, config = timed_publish(rebuilt, served)
        payload_lines = [payload_line("config change", published_sizes(served, rebuilt))]
        delta_lines = [delta_line("config change", served, rebuilt, built.version,
                                  config.delta_bytes.get(built.version))]
        publishes = [f"generation {built.version} (first, no deltas) {first_publish:.1f} s",
                     f"generation {rebuilt.version} {config_publish:.1f} s"]
        if package_result is not None:
            package_publish, package = timed_publish(package_result, served)
            payload_lines.append(payload_line("package change",
                                              published_sizes(served, package_result)))
            delta_lines.append(delta_line("package change", served, package_result,
                                          rebuilt.version, package.delta_bytes.get(rebuilt.version)))
            publishes.append(f"generation {package_result.version} {package_publish:.1f} s")
    ratio = rebuild / clean
    packages = "warm package cache" if args.warm_packages else "packages downloaded"
    durations = rebuilt.durations
    own = rebuild - rebuilt.mkosi_seconds
    met = "met" if own <= OVERHEAD_AIM * rebuilt.mkosi_seconds else "missed"
    print(f"clean build   {clean:7.1f} s  ({packages})")
    print(f"rebuild       {rebuild:7.1f} s  ({ratio:.1%} of clean; aim <= {AIM:.0%}: "
          f"{'met' if ratio <= AIM else 'missed'})")
    print("  rebuild phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in durations.items()))
    print(f"  of it mkosi {rebuilt.mkosi_seconds:.1f} s, pydeclos' own work {own:.1f} s")
    print(f"overhead      {own:7.1f} s  ({own / rebuilt.mkosi_seconds:.1%} of mkosi's run; aim "
          f"<= {OVERHEAD_AIM:.0%}: {met})")
    against = (rebuild - alone) / alone
    print(f"mkosi alone   {alone:7.1f} s  (run next, same tree, options and caches: the whole "
          f"rebuild took {rebuild - alone:+.1f} s, {against:+.1%}, against it; aim <= "
          f"{OVERHEAD_AIM:.0%}: {'met' if against <= OVERHEAD_AIM else 'missed'}; load noise "
          "included)")
    print("publish       " + ", ".join(publishes) + " (xz of the partitions, deltas)")
    print("\n".join(payload_lines))
    print("\n".join(delta_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
