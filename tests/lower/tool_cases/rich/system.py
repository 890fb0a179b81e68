"""A system that touches every option family, for the tests that feed the generated files to
the tools that read them (mkosi, systemd-analyze, sysusers, tmpfiles, nft, repart)."""

def config(cfg):
    return {
        "image": {"version": 7, "id": "demo"},
        "packages": ["openssh-server"],
        "boot": {"kernel_params": ["systemd.show_status=yes"],
                 "kernel_modules": ["br_netfilter"],
                 "sysctl": {"net.ipv4.ip_forward": True, "vm.swappiness": 10}},
        "users": {
            "groups": {"deploy": {"gid": 2000}},
            "users": {
                "alice": {"is_normal_user": True, "extra_groups": ["sudo", "deploy"],
                          "description": "Alice (admin)",
                          "hashed_password_file": "/etc/credstore/alice.hash"},
                "bob": {"is_normal_user": True, "uid": 1500},
                "svc": {"is_system_user": True},
            },
        },
        "systemd": {
            "services": {
                "hello": {"description": "Say hello", "type": "oneshot",
                          "exec_start": ["/bin/echo hello", "/bin/true"],
                          "environment": {"GREETING": 'hi "there" 100%'},
                          "wanted_by": ["multi-user.target"], "after": ["network.target"],
                          "restart_triggers": ["v1"],
                          "service_config": {"RemainAfterExit": "yes"}},
                "web": {"exec_start": ["/bin/sleep infinity"], "restart": "on-failure",
                        "restart_sec": "5s", "user": "svc", "private_tmp": True,
                        "protect_system": "strict", "no_new_privileges": True,
                        "unit_config": {"Documentation": ["man:sleep(1)"]}},
                "off": {"enable": False, "exec_start": ["/bin/false"]},
                "echo": {"exec_start": ["/bin/cat"], "service_config": {"StandardInput": "socket"}},
            },
            "timers": {"hello": {"on_calendar": ["*-*-* 03:30:00"], "persistent": True}},
            "sockets": {"echo": {"listen_stream": ["127.0.0.1:7777"]}},
            "paths": {"watch": {"path_changed": ["/etc/demo"], "unit": "hello.service"}},
            "targets": {"demo": {"wants": ["hello.service"]}},
            "mounts": {"/srv/cache": {"what": "tmpfs", "type": "tmpfs", "options": ["size=16M"],
                                      "wanted_by": ["local-fs.target"]}},
            "enabled": ["ssh.service"], "disabled": ["apt-daily.timer"],
            "masked": ["getty@tty2.service"],
            "tmpfiles": {"rules": ["d /srv/data 0755 root root -"]},
            "drop_ins": {"getty@.service": {"10-demo": "[Service]\nTTYVTDisallocate=no\n"}},
        },
        "file_systems": {"/srv/scratch": {"device": "tmpfs", "fs_type": "tmpfs",
                                          "options": ["size=64M", "mode=1777"]}},
        "networking": {
            "hostname": "demo", "domain": "example.org", "nameservers": ["192.0.2.53"],
            "interfaces": {"eth1": {"dhcp": False, "addresses": ["192.0.2.10/24"],
                                    "gateway": "192.0.2.1", "dns": ["192.0.2.53"]}},
            "firewall": {"allowed_tcp_ports": [22, 80], "allowed_udp_ports": [53],
                         "extra_rules": "ip saddr 192.0.2.50 tcp dport 9100 accept"},
        },
        "time": {"timezone": "Europe/Berlin", "ntp": {"enable": True,
                                                      "servers": ["ntp.example.org"]}},
        "environment": {
            "etc": {"demo/config.ini": {"text": "[main]\nvalue = 1\n"},
                    "demo/shared": {"text": "shared\n", "mode": "0664", "group": "deploy"}},
            "variables": {"EDITOR": "vim"}, "shell_aliases": {"ll": "ls -l"},
        },
    }
