"""pydeclos/types.py: each Linux domain type accepts what the file it ends up in can hold,
and nothing else (always a whole match: a trailing newline is never accepted)."""

from __future__ import annotations

import pytest

from pydeclos import types as t

CASES = [
    (t.unit_name, ["ssh.service", "getty@tty1.service", "getty@.service", "a-b:c.timer"],
     ["ssh", "ssh.service\n", "a/b.service", "@x.service", "x.bogus", "a b.service"]),
    (t.unit_prefix, ["backup", "getty@tty1", "foo@"], ["", "a/b", "a\nb", "@x"]),
    (t.user_name, ["alice", "_svc", "node-exporter", "a" * 31],
     ["machine$", "Alice", "1abc", "a" * 32, "root:x:0", "alice\n"]),
    (t.host_name, ["web1", "a", "a-b"], ["web_1", "web1.example.org", "-a", "a-", "a" * 64]),
    (t.domain_name, ["example.org", "a.b.c"], ["example..org", ".org", "a_b.org"]),
    (t.server_name, ["example.org", "*.example.org", "www.*", "_", "~^api\\d+$"],
     ["g:s", "a b", "a;b", ""]),
    (t.nginx_word, ["$uri", "$uri/", "=404", "@fallback", "a\\.b"],
     ["", "a b", "a;b", "#x", "a}", "'a'", "$uri\n"]),
    (t.nginx_location, ["/", "/api/", "= /exact", "^~ /static/", "~ \\.php$", "~* x", "@named"],
     ["", "api", "/a b", "/a;", "~", "~ a b", "= x", "/x {", "/x\n"]),
    (t.nginx_return, ["301 https://a.org$request_uri", "404", "https://a.org/", "200 ok"],
     ["", "30 x", "301 a b", "301 a;", "ftp://x", "404\n"]),
    (t.sudo_command, ["ALL", "/usr/bin/systemctl restart nginx.service", "/bin/ls"],
     ["ls", "/bin/ls, ALL", "/bin/a=b", "/bin/ls\nroot ALL=(ALL) ALL", "/bin/ls  -l",
      "/bin/ls #x", "!/bin/sh"]),
    (t.sudo_run_as, ["ALL", "ALL:ALL", "root", "www-data:adm"],
     ["", "a:b:c", "root) ALL", "Root", "root\n"]),
    (t.etc_path, ["motd", "ssh/sshd_config.d/x.conf", "profile.d/pydeclos.sh", "passwdqc.conf"],
     ["/etc/motd", "../shadow", "a/../b", "a//b", "a/", ".", "shadow", "passwd", "os-release",
      "machine-id", "a b", "a\"b"]),
    (t.absolute_path, ["/", "/srv/data", "/home/alice"],
     ["srv", "/srv/", "/srv//x", "/srv/../etc", "/a b", "/a\n"]),
    (t.file_mode, ["0644", "644", "1777"], ["0888", "rw", "06444"]),
    (t.size, ["512M", "1G", "4096"], ["1 GB", "0M", "1G\n", "-1G"]),
    (t.image_id, ["pydeclos", "my_os", "web-1"], ["_web", "Web", "../../x", "a" * 33]),
    (t.release, ["trixie", "forky", "sid"], ["bookworm", "bullseye", "Trixie", "trixie\n"]),
    (t.kernel_param, ["console=ttyS0", "quiet"],
     ["quiet splash", 'init="/bin/sh"', "usrhash=abc", "mount.usr=/dev/sda2", "a%b"]),
    (t.sysctl_key, ["net.ipv4.ip_forward", "vm.swappiness", "net/ipv4/ip_forward"],
     ["kernel", "kernel.x\nkernel.y", "a..b"]),
    (t.ini_value, ["", "yes", "a b"], ["a\\", "a\nb", "a\x00"]),
    (t.unit_line, ["/bin/true", "-/usr/bin/loadkeys us"], ["", " ", "a\\", "a\nb"]),
    (t.tmpfiles_rule, ["d /srv 0755 - - -"], ["d", "# x y", "d /a\nL+ /etc/shadow - - - - /x"]),
    (t.crypt_hash, ["!*", "$6$salt$abc", "$y$j9T$abc$def"], ["hunter2", "$y$j9T$…", ""]),
    (t.gecos, ["Alice (admin)", ""], ['x" 0 /root', "a:b", "a\\b"]),
    (t.ip_address, ["192.0.2.1", "2001:db8::1"], ["192.0.2.300", "x", "192.0.2.1\n"]),
    (t.ip_interface, ["192.0.2.10/24", "2001:db8::10/64"], ["192.0.2.10", "10.0.0.1/24\nDNS=x"]),
]


@pytest.mark.parametrize(("kind", "good", "bad"), CASES, ids=[c[0].description[:30] for c in CASES])
def test_domain_type(kind: t.Type, good: list[str], bad: list[str]) -> None:
    assert [value for value in good if not kind.check(value)] == []
    assert [value for value in bad if kind.check(value)] == []
    for value in bad:
        assert repr(value) in kind.explain(value)


def test_entry_path_reads_back_as_the_entry() -> None:
    from pydeclos.modsys.paths import split_path

    assert split_path(t.entry_path("users.users", 'a"b.c')) == ["users", "users", 'a"b.c']
