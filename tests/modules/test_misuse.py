"""Misuse is an eval-time error (or warning) that says what, where, and how to fix it.

One line per case: the system file's config, then words the message must contain.
"""

from __future__ import annotations

import pytest

from pydeclos.errors import PydeclosError

ERRORS = [
    pytest.param(
        '{"users": {"users": {"alice": {"password": "hunter2"}}}}',
        ["users.users.alice.password", "clear-text", "mkpasswd", "openssl passwd -6",
         "hashed_password"], id="clear-text-password"),
    pytest.param(
        '{"users": {"users": {"alice": {"hashed_password": "hunter2"}}}}',
        ["users.users.alice.hashed_password", "crypt(3) hash", "mkpasswd"],
        id="clear-text-in-hashed_password"),
    pytest.param(
        '{"users": {"users": {"alice": {"hashed_password": "$6$salt$abcdefgh"}}}}',
        ["users.users.alice.hashed_password", "shipped in /usr", "hashed_password_file",
         "passwd.hashed-password.<name>"], id="hash-in-configuration"),
    pytest.param(
        '{"users": {"users": {"alice": {"hashed_password_file": "/usr/share/alice.hash"}}}}',
        ["users.users.alice.hashed_password_file", "inside /usr", "/etc/credstore"],
        id="hash-file-in-usr"),
    pytest.param(
        '{"environment": {"etc": {"app/token": {"text": "s3cret", "mode": "0600"}}}}',
        ['environment.etc."app/token".mode', "'0600'", "not readable by everyone",
         "every update publishes", "docs/security.md"], id="etc-private-text"),
    pytest.param(
        '{"environment": {"etc": {"app/key": {"source": "/etc/hostname", "mode": "0640",'
        ' "group": "adm"}}}}',
        ['environment.etc."app/key".mode', "'0640'", "not readable by everyone"],
        id="etc-private-source"),
    pytest.param(
        '{"files": {"usr": {"share/app/key": {"text": "s3cret", "mode": "0600"}}}}',
        ["files.usr", "readable by everyone", "/usr is public"], id="usr-private-file"),
    pytest.param(
        '{"users": {"users": {"eve": {"is_normal_user": True, "home": "/etc"}}}}',
        ["users.users.eve.home = '/etc'", "system directory", "under /home/ or /srv/"],
        id="home-etc"),
    pytest.param(
        '{"users": {"users": {"eve": {"is_normal_user": True, "home": "/var/lib/eve"}}}}',
        ["users.users.eve.home = '/var/lib/eve'", "under /home/ or /srv/"],
        id="home-var-lib-for-a-person"),
    pytest.param(
        '{"users": {"users": {"svc": {"is_system_user": True, "home": "/usr/lib/svc"}}}}',
        ["users.users.svc.home", "/var/lib/svc or under it"], id="home-usr"),
    pytest.param(
        '{"users": {"users": {"svc": {"is_system_user": True, "home": "/var/lib/dpkg"}}}}',
        ["users.users.svc.home = '/var/lib/dpkg'", "/var/lib/svc or under it"],
        id="home-another-state-directory"),
    pytest.param(
        '{"users": {"users": {"eve": {"is_normal_user": True, "home": "/root"}}}}',
        ["users.users.eve.home = '/root'"], id="home-root-for-another-user"),
    pytest.param(
        '{"users": {"users": {"eve": {"is_normal_user": True, "home": "/home"}}}}',
        ["users.users.eve.home = '/home'"], id="home-is-home-itself"),
    pytest.param(
        '{"users": {"users": {"svc": {"is_system_user": True, "home": "/",'
        ' "create_home": True}}}}',
        ["users.users.svc.home = '/'", "create_home false"], id="home-slash-created"),
    pytest.param(
        '{"environment": {"etc": {"/etc/motd": {"text": "hi"}}}}',
        ["environment.etc", "/etc/motd", "relative to /etc"], id="etc-absolute"),
    pytest.param(
        '{"environment": {"etc": {"ssh/../shadow": {"text": "x"}}}}',
        ["ssh/../shadow", "without '..'"], id="etc-dotdot"),
    pytest.param(
        '{"environment": {"etc": {"ssh//x.conf": {"text": "x"}}}}',
        ["ssh//x.conf", "normalised"], id="etc-not-normalised"),
    pytest.param(
        '{"environment": {"etc": {"hostname": {"text": "x"}}}}',
        ["environment.etc.hostname.text", "modules/config/networking.py", "mk_force"],
        id="etc-owned-by-option"),
    pytest.param(
        '{"environment": {"etc": {"motd": {"mode": "644"}}}}',
        ["motd", "exactly one of `text` or `source`"], id="etc-no-content"),
    pytest.param(
        '{"users": {"users": {"alice": {"is_normal_user": True, "extra_groups": ["wheel"]}}}}',
        ["users.users.alice", "group `wheel` does not exist", "users.groups.wheel",
         "`sudo`"], id="unknown-extra-group"),
    pytest.param(
        '{"services": {"openssh": {"enable": True, "ports": [70000]}}}',
        ["services.openssh.ports", "70000"], id="port-out-of-range"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"port": -1,'
        ' "root": "/srv"}}}}}',
        ["port", "-1"], id="vhost-port-out-of-range"),
    pytest.param(
        '{"services": {"openssh": {"enable": True, "settings": {"Port": 2222}}}}',
        ["services.openssh.settings.Port", "services.openssh.ports"], id="ssh-typed-setting"),
    pytest.param(
        '{"services": {"openssh": {"enable": True, "settings": {"PermitRootLogn": "no"}}}}',
        ["services.openssh.settings.PermitRootLogn", "not an sshd_config keyword",
         "refuse the whole file", "did you mean `PermitRootLogin`?"], id="ssh-keyword-typo"),
    pytest.param(
        '{"services": {"openssh": {"enable": True, "settings": {"Match": "User bob"}}}}',
        ["services.openssh.settings.Match", "capture the lines",
         'environment.etc."ssh/sshd_config.d/60-match.conf"'], id="ssh-match-block"),
    pytest.param(
        '{"services": {"openssh": {"enable": True, "settings": '
        '{"ChallengeResponseAuthentication": False}}}}',
        ["services.openssh.settings.ChallengeResponseAuthentication",
         "`KbdInteractiveAuthentication`"], id="ssh-renamed-keyword"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {}}}}}',
        ["virtual_hosts", "a.org", "exactly one of `root`", "`proxy_pass`"],
        id="vhost-without-content"),
    pytest.param(
        '{"services": {"cron_jobs": {"x": {"command": "true", "user": "carol"}}}}',
        ["services.cron_jobs.x.user", "carol", "users.users.carol"], id="cron-unknown-user"),
    pytest.param(
        '{"services": {"getty": {"autologin_user": "carol"}}}',
        ["services.getty.autologin_user", "carol"], id="autologin-unknown-user"),
    pytest.param(
        '{"networking": {"hostname": "web1.example.org"}}',
        ["networking.hostname", "networking.domain"], id="hostname-with-dots"),
    pytest.param(
        '{"networking": {"interfaces": {"eth0": {"addresses": ["192.0.2.300/24"]}}}}',
        ["networking.interfaces.eth0.addresses", "192.0.2.300/24"], id="bad-address"),
    pytest.param(
        '{"file_systems": {"/usr": {"device": "LABEL=x"}}}',
        ["/usr", "cannot be declared"], id="mount-usr"),
    pytest.param(
        '{"image": {"layout": "root"}, "file_systems": {"/etc": {"device": "LABEL=x"}}}',
        ["/etc", "cannot be declared", "overlay"], id="mount-etc-on-layout-root"),
    pytest.param(
        '{"file_systems": {"/srv": {"device": "LABEL=x", "options": ["noatime,nofail"]}}}',
        ["file_systems", "one mount option", "one list entry per option"],
        id="mount-options-joined"),
    pytest.param(
        '{"systemd": {"services": {"x.service": {"exec_start": ["/bin/true"]}}}}',
        ["systemd.services.x.service", "drop the `.service` suffix"], id="unit-suffix"),
    pytest.param(
        '{"systemd": {"services": {"x": {"description": "no command"}}}}',
        ["systemd.services.x.exec_start", "ExecStart"], id="service-without-command"),
    pytest.param(
        '{"boot": {"kernel_params": ["quiet splash"]}}',
        ["boot.kernel_params", "one kernel parameter without spaces"],
        id="kernel-param-with-space"),
    pytest.param(
        '{"time": {"timezone": "Europe/Berln"}}',
        ["time.timezone", "Europe/Berlin"], id="timezone-typo"),
    pytest.param(
        '{"users": {"users": {"a": {"uid": 1500}, "b": {"uid": 1500}}}}',
        ["users.users.b.uid = 1500", "users.users.a"], id="duplicate-uid"),
    pytest.param(
        '{"users": {"users": {"Alice": {"is_normal_user": True}}}}',
        ["users.users", "\"Alice\"", "expected a user name"], id="bad-user-name"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {'
        '"proxy_pass": "127.0.0.1:8080"}}}}}',
        ["proxy_pass", "http://127.0.0.1:8080"], id="proxy-pass-without-scheme"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv",'
        ' "ssl_certificate": "/usr/share/a.crt", "ssl_certificate_key": "/usr/share/a.key"}}}}}',
        ["ssl_certificate_key", "/usr/share/a.key", "inside /usr", "every update publishes",
         "self_signed"], id="tls-key-in-usr"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv",'
        ' "force_ssl": True}}}}}',
        ["a.org", "force_ssl needs a certificate", "self_signed"], id="force-ssl-without-tls"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv",'
        ' "ssl_certificate": "/etc/a.crt"}}}}}',
        ["a.org", "both `ssl_certificate` and `ssl_certificate_key`"], id="tls-cert-without-key"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {'
        '"proxy_pass": "http://127.0.0.1:8080", "extra_config": "add_header X-A 1;"}}}}}',
        ["a.org", "extra_config sets add_header", "nginx drops", "location's `extra_config`"],
        id="server-header-hidden-by-location"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv",'
        ' "locations": {"/x": {}}, "extra_config": "location /x { return 404; }"}}}}}',
        ["a.org", "declares `location /x`", "keep one"], id="location-declared-twice"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"locations": {'
        '"/": {"root": "/srv", "alias": "/srv"}}}}}}}',
        ['locations."/"', "one of `root` or `alias`"], id="location-root-and-alias"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"locations": {'
        '"/ x": {"root": "/srv"}}}}}}}',
        ["locations", "an nginx location"], id="location-with-space"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"~^a$": {"root": "/srv",'
        ' "self_signed": True}}}}}',
        ["self_signed", "plain host name"], id="self-signed-regex-name"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv",'
        ' "default": True}, "b.org": {"root": "/srv", "default": True}}}}}',
        ["more than one virtual host has `default`", "a.org", "b.org"], id="two-defaults"),
    pytest.param(
        '{"services": {"nginx": {"enable": True, "virtual_hosts": {"a.org": {"root": "/srv",'
        ' "self_signed": True}, "b.org": {"root": "/srv", "port": 443}}}}}',
        ["port 443 is HTTP for virtual host 'b.org' and HTTPS for 'a.org'"],
        id="port-http-and-https"),
    pytest.param(
        '{"security": {"sudo": {"enable": True, "extra_rules": [{"groups": ["wheel"],'
        ' "commands": [{"command": "sudo -i"}]}]}}}',
        ["security.sudo.extra_rules", "sudo command", "absolute path"], id="sudo-relative-command"),
    pytest.param(
        '{"environment": {"variables": {"MY-VAR": "x"}}}',
        ["environment.variables", "MY-VAR", "expected a variable name"], id="bad-variable-name"),
    pytest.param(
        '{"services": {"cron_jobs": {"x": {"schedule": "daily"}}}}',
        ["services.cron_jobs.x.command is empty"], id="cron-without-command"),
    pytest.param(
        '{"file_systems": {"/tmp/x": {"device": "tmpfs", "fs_type": "tmpfs",'
        ' "auto_format": True}}}',
        ["auto_format", "concrete fs_type"], id="auto-format-tmpfs"),
    pytest.param(
        '{"networking": {"firewall": {"allowed_udp_ports": [65536]}}}',
        ["networking.firewall.allowed_udp_ports", "65536"], id="udp-port-out-of-range"),
    pytest.param(
        '{"image": {"usr_size": "1 GB"}}',
        ["image.usr_size", "512M"], id="image-size"),
]


@pytest.mark.parametrize("definitions,words", ERRORS)
def test_misuse_is_an_eval_error(refused, definitions: str, words: list[str]) -> None:
    """Each error names the line of the user's system.py that holds the mistake."""
    if "password" in definitions and "hashed_password" not in definitions:
        # The one exception: listing where it was defined would print the password.
        assert "hunter2" not in refused(f"\nconfig = {definitions}\n", *words)
    else:
        refused(f"\nconfig = {definitions}\n", *words, "system.py:2")


def test_clear_text_password_never_reaches_the_configuration(system) -> None:
    with pytest.raises(PydeclosError) as caught:
        system('config = {"users": {"users": {"alice": {"password": "hunter2"}}}}\n').to_data()
    assert "hunter2" not in str(caught.value)


def test_homes_where_a_home_belongs_are_accepted(system) -> None:
    config = system('''config = {"users": {"users": {
        "alice": {"is_normal_user": True, "home": "/srv/alice"},
        "bob": {"is_normal_user": True, "home": "/home/staff/bob"},
        "svc": {"is_system_user": True, "home": "/var/lib/svc", "create_home": True},
        "nobody2": {"is_system_user": True, "home": "/nonexistent"},
        "root": {"home": "/root"},
    }}}\n''').to_data()
    assert config["users"]["users"]["svc"]["home"] == "/var/lib/svc"


WARNINGS = [
    pytest.param(
        '{"systemd": {"services": {"app": {"exec_start": ["/usr/bin/app"],'
        ' "wants": ["postgresql.service"], "wanted_by": ["multi-user.target"]}}}}',
        ["systemd.services.app.wants", "postgresql.service", "systemd.package_units"],
        id="wants-unknown-unit"),
    pytest.param(
        '{"systemd": {"enabled": ["apache2.service"]}}',
        ["systemd.enabled", "apache2.service"], id="enables-unknown-unit"),
    pytest.param(
        '{"systemd": {"timers": {"t": {"on_calendar": ["daily"]}}}}',
        ["systemd.timers.t.unit", "t.service"], id="timer-without-service"),
    pytest.param(
        '{"users": {"mutable": False, "users": {"alice": {"is_normal_user": True}}}}',
        ["users.users.alice", "nobody can log in"], id="immutable-user-without-login"),
]


@pytest.mark.parametrize("definitions,words", WARNINGS)
def test_questionable_configuration_warns(system, definitions: str, words: list[str]) -> None:
    warnings = system(f"config = {definitions}\n").warnings
    assert len(warnings) == 1, warnings
    for word in words:
        assert word in str(warnings[0]), f"{word!r} missing from {warnings[0]!r}"


def test_declaring_a_package_unit_silences_the_warning(system) -> None:
    result = system('config = {"packages": ["postgresql"], "systemd": {'
                    '"package_units": ["postgresql.service"], "services": {"app": {'
                    '"exec_start": ["/usr/bin/app"], "wants": ["postgresql.service"]}}}}\n')
    assert result.warnings == []


def test_units_shipped_by_enabled_modules_are_known(system) -> None:
    result = system('config = {"services": {"openssh": {"enable": True}}, "systemd": {'
                    '"services": {"app": {"exec_start": ["/usr/bin/app"], '
                    '"after": ["ssh.service"], "wants": ["ssh.service"]}}}}\n')
    assert result.warnings == []
