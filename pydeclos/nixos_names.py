"""NixOS option names and what they are called here, for people coming from NixOS.

One row per NixOS option: its NixOS path (`<name>` stands for any attribute name, as in
the NixOS manual), the pydeclos path (the same `<name>` filled in), and a note when the
meaning differs. A row without a pydeclos path says what to do instead. Adding a mapping
is one row. `pydeclos options`, the unknown-option error (through `pydeclos/system.py`)
and docs/from-nixos.md all read this table.
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path

from pydeclos.modsys.paths import show_path, split_path

WILDCARD = "<name>"


@dataclass(frozen=True)
class NixosName:
    """One NixOS option and its pydeclos counterpart (`None`: there is none, see `note`)."""

    nixos: str
    pydeclos: str | None
    note: str = ""


_SVC = "systemd.services.<name>"
_VHOST = "services.nginx.virtualHosts.<name>"
_USER = "users.users.<name>"

NIXOS_NAMES: tuple[NixosName, ...] = (
    # networking
    NixosName("networking.hostName", "networking.hostname"),
    NixosName("networking.domain", "networking.domain",
              "The FQDN is `hostname.domain`, as in NixOS."),
    NixosName("networking.useDHCP", "networking.use_dhcp"),
    NixosName("networking.interfaces.<name>.useDHCP", "networking.interfaces.<name>.dhcp"),
    NixosName("networking.interfaces.<name>.ipv4.addresses",
              "networking.interfaces.<name>.addresses",
              'Strings with a prefix length (`"192.0.2.5/24"`), IPv4 and IPv6 in one list.'),
    NixosName("networking.interfaces.<name>.ipv6.addresses",
              "networking.interfaces.<name>.addresses",
              'Strings with a prefix length (`"2001:db8::5/64"`), IPv4 and IPv6 in one list.'),
    NixosName("networking.defaultGateway", "networking.interfaces.<name>.gateway",
              "Set per interface."),
    NixosName("networking.nameservers", "networking.nameservers"),
    NixosName("networking.timeServers", "time.ntp.servers"),
    NixosName("networking.firewall.enable", "networking.firewall.enable"),
    NixosName("networking.firewall.allowedTCPPorts", "networking.firewall.allowed_tcp_ports"),
    NixosName("networking.firewall.allowedUDPPorts", "networking.firewall.allowed_udp_ports"),
    NixosName("networking.firewall.extraCommands", "networking.firewall.extra_rules",
              "nftables rules, not iptables commands."),
    NixosName("networking.nftables.enable", None,
              "The firewall is always nftables; nothing to set."),
    # time, locale, console
    NixosName("time.timeZone", "time.timezone"),
    NixosName("services.timesyncd.enable", "time.ntp.enable"),
    NixosName("services.ntp.servers", "time.ntp.servers"),
    NixosName("i18n.defaultLocale", "i18n.locale"),
    NixosName("console.keyMap", "console.keymap"),
    # boot
    NixosName("boot.kernelParams", "boot.kernel_params"),
    NixosName("boot.kernelModules", "boot.kernel_modules"),
    NixosName("boot.initrd.availableKernelModules", "boot.initrd.kernel_modules",
              "Added to mkosi's default initrd module set (dm-verity, file systems, virtio, "
              "nvme, ahci, ...)."),
    NixosName("boot.initrd.includeDefaultModules", None,
              "mkosi's default initrd module set is always in; "
              "`boot.initrd.all_kernel_modules` puts every module in."),
    NixosName("boot.kernelPackages", "boot.kernel_packages",
              "Debian kernel packages (`linux-image-amd64`), not a package set."),
    NixosName("boot.kernel.sysctl", "boot.sysctl"),
    NixosName("boot.loader.systemd-boot.enable", None,
              "The image always boots with systemd-boot (UKIs); nothing to set."),
    NixosName("boot.loader.grub.enable", None,
              "The image always boots with systemd-boot (UKIs); GRUB is not used."),
    # packages and the environment
    NixosName("environment.systemPackages", "packages",
              'Debian package names (`["htop", "curl"]`), not nixpkgs attributes.'),
    NixosName("environment.defaultPackages", "packages_removed",
              "NixOS lists the defaults to keep; here list the packages to remove."),
    NixosName("environment.etc", "environment.etc"),
    NixosName("environment.etc.<name>.text", "environment.etc.<name>.text"),
    NixosName("environment.etc.<name>.source", "environment.etc.<name>.source"),
    NixosName("environment.etc.<name>.mode", "environment.etc.<name>.mode",
              "Content in /etc must be readable by everyone: it ships in /usr."),
    NixosName("environment.variables", "environment.variables"),
    NixosName("environment.sessionVariables", "environment.variables"),
    NixosName("environment.shellAliases", "environment.shell_aliases"),
    NixosName("programs.bash.shellAliases", "environment.shell_aliases"),
    NixosName("nixpkgs.config.allowUnfree", "image.components",
              'Add `"non-free"` (and `"contrib"`) to the Debian components.'),
    NixosName("system.stateVersion", None,
              "Not needed: the image names its Debian release in `image.release`."),
    NixosName("assertions", "assertions"),
    NixosName("warnings", "warnings"),
    NixosName("documentation.enable", "image.with_docs"),
    NixosName("documentation.man.enable", "image.with_docs"),
    NixosName("system.image.id", "image.id"),
    NixosName("system.image.version", "image.version"),
    NixosName("system.autoUpgrade.flake", "image.updates.source",
              "The URL or path of a `pydeclos publish` directory, not a flake; "
              "`pydeclos switch` installs from it."),
    NixosName("system.autoUpgrade.enable", "image.updates.automatic.enable",
              "Downloads a published generation; nothing is built on the machine."),
    NixosName("system.autoUpgrade.dates", "image.updates.automatic.calendar"),
    NixosName("system.autoUpgrade.randomizedDelaySec", "image.updates.automatic.random_delay"),
    NixosName("system.autoUpgrade.allowReboot", "image.updates.automatic.policy",
              '`"switch"` applies at once (soft-reboot or kexec), `"reboot"` stages for the '
              "next boot."),
    NixosName("system.autoUpgrade.rebootWindow", "image.updates.automatic.window",
              'A calendar expression when a staged generation is switched to (policy '
              '`"window"`), not a lower/upper time range.'),
    NixosName("system.autoUpgrade.persistent", None,
              "Always on: a check missed while the machine was off runs at the next boot."),
    # users
    NixosName("users.mutableUsers", "users.mutable"),
    NixosName(f"{_USER}.openssh.authorizedKeys.keys", f"{_USER}.ssh_authorized_keys"),
    NixosName(f"{_USER}.isNormalUser", f"{_USER}.is_normal_user"),
    NixosName(f"{_USER}.isSystemUser", f"{_USER}.is_system_user"),
    NixosName(f"{_USER}.extraGroups", f"{_USER}.extra_groups",
              "Debian's admin group is `sudo`, not `wheel`."),
    NixosName(f"{_USER}.hashedPassword", f"{_USER}.hashed_password",
              "Refused in the configuration (it would ship in /usr); use "
              "`hashed_password_file`."),
    NixosName(f"{_USER}.hashedPasswordFile", f"{_USER}.hashed_password_file"),
    NixosName(f"{_USER}.initialPassword", f"{_USER}.hashed_password_file",
              "Clear-text passwords are refused; give a hash in a file."),
    NixosName(f"{_USER}.openssh.authorizedKeys.keyFiles", f"{_USER}.ssh_authorized_keys",
              "Read the file in system.py: "
              "`Path(\"alice.keys\").read_text().splitlines()`."),
    NixosName(f"{_USER}.password", f"{_USER}.password",
              "Clear-text passwords are refused; use `hashed_password_file`."),
    NixosName(f"{_USER}.createHome", f"{_USER}.create_home"),
    NixosName(f"{_USER}.home", f"{_USER}.home"),
    NixosName(f"{_USER}.shell", f"{_USER}.shell", 'A path (`"/bin/bash"`), not a package.'),
    NixosName(f"{_USER}.uid", f"{_USER}.uid"),
    NixosName(f"{_USER}.group", f"{_USER}.group"),
    NixosName(f"{_USER}.description", f"{_USER}.description"),
    NixosName("users.groups.<name>.gid", "users.groups.<name>.gid"),
    NixosName("users.groups.<name>.members", "users.groups.<name>.members"),
    # file systems and swap
    NixosName("fileSystems", "file_systems"),
    NixosName("fileSystems.<name>.device", "file_systems.<name>.device"),
    NixosName("fileSystems.<name>.fsType", "file_systems.<name>.fs_type"),
    NixosName("fileSystems.<name>.options", "file_systems.<name>.options"),
    NixosName("fileSystems.<name>.neededForBoot", "file_systems.<name>.needed_for_boot"),
    NixosName("fileSystems.<name>.autoFormat", "file_systems.<name>.auto_format"),
    NixosName("swapDevices", "swap_devices"),
    NixosName("boot.initrd.luks.devices", None,
              "Not supported yet: the image has no encrypted data devices."),
    # systemd
    NixosName(f"{_SVC}.enable", f"{_SVC}.enable"),
    NixosName(f"{_SVC}.description", f"{_SVC}.description"),
    NixosName(f"{_SVC}.after", f"{_SVC}.after"),
    NixosName(f"{_SVC}.before", f"{_SVC}.before"),
    NixosName(f"{_SVC}.wants", f"{_SVC}.wants"),
    NixosName(f"{_SVC}.requires", f"{_SVC}.requires"),
    NixosName(f"{_SVC}.wantedBy", f"{_SVC}.wanted_by"),
    NixosName(f"{_SVC}.requiredBy", f"{_SVC}.required_by"),
    NixosName(f"{_SVC}.environment", f"{_SVC}.environment"),
    NixosName(f"{_SVC}.restartTriggers", f"{_SVC}.restart_triggers"),
    NixosName(f"{_SVC}.unitConfig", f"{_SVC}.unit_config"),
    NixosName(f"{_SVC}.serviceConfig", f"{_SVC}.service_config"),
    NixosName(f"{_SVC}.serviceConfig.ExecStart", f"{_SVC}.exec_start"),
    NixosName(f"{_SVC}.serviceConfig.Type", f"{_SVC}.type"),
    NixosName(f"{_SVC}.serviceConfig.User", f"{_SVC}.user"),
    NixosName(f"{_SVC}.serviceConfig.Restart", f"{_SVC}.restart"),
    NixosName(f"{_SVC}.serviceConfig.DynamicUser", f"{_SVC}.dynamic_user"),
    NixosName(f"{_SVC}.serviceConfig.ExecStartPre", f"{_SVC}.exec_start_pre"),
    NixosName(f"{_SVC}.serviceConfig.ExecReload", f"{_SVC}.exec_reload"),
    NixosName(f"{_SVC}.serviceConfig.ExecStop", f"{_SVC}.exec_stop"),
    NixosName(f"{_SVC}.serviceConfig.RestartSec", f"{_SVC}.restart_sec"),
    NixosName(f"{_SVC}.serviceConfig.Group", f"{_SVC}.group"),
    NixosName(f"{_SVC}.serviceConfig.WorkingDirectory", f"{_SVC}.working_directory"),
    NixosName(f"{_SVC}.serviceConfig.PrivateTmp", f"{_SVC}.private_tmp"),
    NixosName(f"{_SVC}.serviceConfig.ProtectSystem", f"{_SVC}.protect_system"),
    NixosName(f"{_SVC}.serviceConfig.ProtectHome", f"{_SVC}.protect_home"),
    NixosName(f"{_SVC}.serviceConfig.NoNewPrivileges", f"{_SVC}.no_new_privileges"),
    NixosName("systemd.units.<name>.text", "systemd.units.<name>.text"),
    NixosName("systemd.packages", "systemd.package_units",
              "Unit names the image's packages ship, not packages: Debian packages bring "
              "their units."),
    NixosName("systemd.suppressedSystemUnits", "systemd.masked"),
    NixosName("systemd.sockets.<name>.wantedBy", "systemd.sockets.<name>.wanted_by"),
    NixosName("systemd.sockets.<name>.listenStreams", "systemd.sockets.<name>.listen_stream"),
    NixosName("systemd.sockets.<name>.listenDatagrams",
              "systemd.sockets.<name>.listen_datagram"),
    NixosName("systemd.sockets.<name>.socketConfig", "systemd.sockets.<name>.socket_config"),
    NixosName("systemd.timers.<name>.wantedBy", "systemd.timers.<name>.wanted_by"),
    NixosName("systemd.timers.<name>.timerConfig", "systemd.timers.<name>.timer_config"),
    NixosName("systemd.timers.<name>.timerConfig.OnCalendar",
              "systemd.timers.<name>.on_calendar"),
    NixosName("systemd.timers.<name>.timerConfig.Persistent",
              "systemd.timers.<name>.persistent"),
    NixosName("systemd.targets.<name>.wantedBy", "systemd.targets.<name>.wanted_by"),
    NixosName("systemd.targets.<name>.wants", "systemd.targets.<name>.wants"),
    NixosName("systemd.paths.<name>.pathConfig", "systemd.paths.<name>.path_config"),
    NixosName("systemd.mounts", "systemd.mounts",
              "A dict by mount unit name, not a list."),
    NixosName("systemd.tmpfiles.rules", "systemd.tmpfiles.rules"),
    # services
    NixosName("services.openssh.enable", "services.openssh.enable"),
    NixosName("services.openssh.ports", "services.openssh.ports"),
    NixosName("services.openssh.openFirewall", "services.openssh.open_firewall"),
    NixosName("services.openssh.settings", "services.openssh.settings"),
    NixosName("services.openssh.settings.PermitRootLogin", "services.openssh.permit_root_login"),
    NixosName("services.openssh.settings.PasswordAuthentication",
              "services.openssh.password_authentication"),
    NixosName("services.openssh.passwordAuthentication",
              "services.openssh.password_authentication"),
    NixosName("services.openssh.permitRootLogin", "services.openssh.permit_root_login"),
    NixosName("services.nginx.enable", "services.nginx.enable"),
    NixosName("services.nginx.virtualHosts", "services.nginx.virtual_hosts"),
    NixosName(f"{_VHOST}.root", "services.nginx.virtual_hosts.<name>.root"),
    NixosName(f"{_VHOST}.listen", "services.nginx.virtual_hosts.<name>.port",
              "One port per virtual host."),
    NixosName(f"{_VHOST}.serverAliases", "services.nginx.virtual_hosts.<name>.server_aliases"),
    NixosName(f"{_VHOST}.extraConfig", "services.nginx.virtual_hosts.<name>.extra_config"),
    NixosName(f'{_VHOST}.locations."/".proxyPass',
              "services.nginx.virtual_hosts.<name>.proxy_pass"),
    NixosName("services.getty.autologinUser", "services.getty.autologin_user"),
    # added with the module library for servers (issue 12)
    NixosName(f"{_SVC}.script", f"{_SVC}.script"),
    NixosName(f"{_SVC}.preStart", f"{_SVC}.pre_start"),
    NixosName(f"{_SVC}.postStart", f"{_SVC}.post_start"),
    NixosName(f"{_SVC}.path", f"{_SVC}.path",
              "Debian package names; their programs are on the default PATH."),
    NixosName("systemd.tmpfiles.settings", "systemd.tmpfiles.settings"),
    NixosName("systemd.network.networks", "systemd.network.networks"),
    NixosName("systemd.network.networks.<name>.matchConfig",
              "systemd.network.networks.<name>.match.name",
              "Name= here; MACAddress= is match.mac_address."),
    NixosName("systemd.network.networks.<name>.networkConfig",
              "systemd.network.networks.<name>.settings",
              "Common keys are typed options (dhcp, address, gateway, dns, domains); the "
              "rest go under settings.Network."),
    NixosName("systemd.network.networks.<name>.linkConfig",
              "systemd.network.networks.<name>.link.required_for_online",
              "RequiredForOnline= here; MTUBytes= and MACAddress= are link.mtu and "
              "link.mac_address."),
    NixosName("networking.search", "networking.search"),
    NixosName("networking.firewall.trustedInterfaces",
              "networking.firewall.trusted_interfaces"),
    NixosName("networking.firewall.allowPing", "networking.firewall.allow_ping"),
    NixosName("zramSwap.enable", "zram_swap.enable"),
    NixosName("zramSwap.memoryPercent", "zram_swap.memory_percent"),
    NixosName("zramSwap.memoryMax", "zram_swap.max_size"),
    NixosName("zramSwap.algorithm", "zram_swap.algorithm"),
    NixosName("zramSwap.priority", "zram_swap.priority"),
    NixosName("security.sudo.enable", "security.sudo.enable"),
    NixosName("security.sudo.wheelNeedsPassword", "security.sudo.wheel_needs_password",
              "Debian's `sudo` group plays NixOS' `wheel`."),
    NixosName("security.sudo.extraRules", "security.sudo.extra_rules"),
    NixosName("security.sudo.extraConfig", "security.sudo.extra_config"),
    NixosName(f"{_VHOST}.locations", "services.nginx.virtual_hosts.<name>.locations"),
    NixosName(f"{_VHOST}.forceSSL", "services.nginx.virtual_hosts.<name>.force_ssl"),
    NixosName(f"{_VHOST}.sslCertificate", "services.nginx.virtual_hosts.<name>.ssl_certificate"),
    NixosName(f"{_VHOST}.sslCertificateKey",
              "services.nginx.virtual_hosts.<name>.ssl_certificate_key"),
    NixosName(f"{_VHOST}.default", "services.nginx.virtual_hosts.<name>.default"),
    NixosName("services.nginx.recommendedGzipSettings",
              "services.nginx.recommended_gzip_settings"),
    NixosName("services.nginx.recommendedProxySettings",
              "services.nginx.recommended_proxy_settings"),
    NixosName("services.nginx.recommendedTlsSettings", "services.nginx.recommended_tls_settings"),
    NixosName("services.nginx.recommendedOptimisation",
              "services.nginx.recommended_optimisation"),
    NixosName("services.nginx.statusPage", "services.nginx.status_page"),
    NixosName("services.cron.systemCronJobs", "services.cron_jobs",
              "Named jobs run by systemd timers, not crontab lines."),
)


# Option topics (a path's first two names) that NixOS has no counterpart for: the image
# and update machinery, and the sinks modules write into.
PYDECLOS_ONLY = frozenset({
    "image.distribution", "image.esp_size", "image.layout", "image.mirror", "image.release",
    "image.root_size", "image.security_mirror", "image.usr_size", "image.usr_verity_size",
    "files.usr", "pydeclos.health_checks", "pydeclos.on_machine", "systemd.enabled",
    "systemd.disabled", "systemd.drop_ins", "image.foreign_architectures", "systemd.swaps",
    "boot.update_loader_at_boot", "image.translations",
})


def _fits(pattern: list[str], path: list[str]) -> dict[str, str] | None:
    """The attribute name `<name>` stands for when `path` is `pattern`, else None
    ({} when the pattern has no wildcard)."""
    if len(pattern) != len(path):
        return None
    names: dict[str, str] = {}
    for want, have in zip(pattern, path, strict=True):
        if want == WILDCARD:
            names.setdefault(WILDCARD, have)
        elif want != have:
            return None
    return names


def _filled(target: str, names: dict[str, str]) -> str:
    if WILDCARD not in names:
        return target
    return show_path([names[WILDCARD] if part == WILDCARD else part
                      for part in split_path(target)])


def lookup(path: str) -> tuple[NixosName, str | None] | None:
    """The row for a NixOS option path as a user wrote it (`users.users.x.openssh...`),
    with its pydeclos path filled in (`users.users.x.ssh_authorized_keys`). A NixOS last
    name under the pydeclos parent (`file_systems."/srv".fsType`) is found too."""
    parts = split_path(path)
    for row in NIXOS_NAMES:
        names = _fits(split_path(row.nixos), parts)
        if names is not None:
            return row, None if row.pydeclos is None else _filled(row.pydeclos, names)
    for row in NIXOS_NAMES:
        if row.pydeclos is None:
            continue
        mixed = [*split_path(row.pydeclos)[:-1], split_path(row.nixos)[-1]]
        names = _fits(mixed, parts)
        if names is not None:
            return row, _filled(row.pydeclos, names)
    return None


def other_spelling(path: str) -> str | None:
    """The sentence for an unknown option that is a NixOS name (None for any other):
    what the module system adds to its error."""
    found = lookup(path)
    if found is None:
        return None
    row, target = found
    if target == path:
        return None  # the same name here: not the reason it is unknown
    note = f" {row.note}" if row.note else ""
    if target is None:
        return f"NixOS' `{path}` has no counterpart here.{note}"
    if _fits(split_path(row.nixos), split_path(path)) is None:
        return (f"`{split_path(row.nixos)[-1]}` is NixOS' name (`{row.nixos}`); here it is "
                f"`{target}`.{note}")
    return f"NixOS' `{path}` is `{target}` here.{note}"


def search(pattern: str, *, loose: bool = True) -> list[NixosName]:
    """The rows whose NixOS name is `pattern` (attribute names may be filled in), or
    matches it as a glob; with `loose` also those that end with it at a dot (`hostName`,
    `authorizedKeys.keys`), and failing all, those that contain it, ignoring case."""
    if any(char in pattern for char in "*?["):
        return [row for row in NIXOS_NAMES if fnmatch.fnmatchcase(row.nixos, pattern)]
    parts = split_path(pattern)
    exact = []
    for row in NIXOS_NAMES:
        own = split_path(row.nixos)
        if any(_fits(own[start:], parts) is not None
               for start in range(len(own) if loose else 1)):
            exact.append(row)
    if exact or not loose:
        return exact
    return [row for row in NIXOS_NAMES if pattern.lower() in row.nixos.lower()]


def render_markdown() -> str:
    """The table in docs/from-nixos.md."""
    lines = ["| NixOS | pydeclos | note |", "|---|---|---|"]
    for row in NIXOS_NAMES:
        target = f"`{row.pydeclos}`" if row.pydeclos else "—"
        lines.append(f"| `{row.nixos}` | {target} | {row.note} |")
    return "\n".join(lines) + "\n"


BEGIN = "<!-- BEGIN generated by `python -m pydeclos.nixos_names docs/from-nixos.md` -->\n"
END = "<!-- END generated -->\n"


def updated(text: str) -> str:
    """`text` (docs/from-nixos.md) with the generated table between its markers replaced."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}{render_markdown()}{END}{tail}"


def main(argv: list[str]) -> int:
    """`python -m pydeclos.nixos_names FILE`: regenerate the table in FILE."""
    if len(argv) != 1:
        print("usage: python -m pydeclos.nixos_names docs/from-nixos.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    path.write_text(updated(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
