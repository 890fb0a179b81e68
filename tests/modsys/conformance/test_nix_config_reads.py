"""Conformance, from nixpkgs' option-definition rules (lib/modules.nix pushDownProperties,
nixos/doc/manual/development/option-def.section.md) and modules.sh cases about reading
`config`, translated to config functions of `cfg` and the fixpoint (DESIGN §2).
"""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, mk_force, mk_if, mk_merge, mk_override, option
from pydeclos import types as t
from pydeclos.modsys import errors as e

from ._support import ev, value

HOST = t.submodule({"root": option(str, default="/srv"), "port": option(int, default=80)})


def test_mk_if_on_config_does_not_recurse() -> None:
    """option-def.section.md: `config = mkIf config.services.foo.enable { ... }` works because
    the condition is not needed to know which options are defined (pydeclos: the fixpoint)."""
    declare = Module(options={"a": option(bool, default=False), "b": option(bool, default=False)})
    evaluation = ev(declare,
                    Module(config=lambda cfg: mk_if(cfg.a, {"b": True})),
                    Module(config={"a": True}))
    assert evaluation.value("b") is True


def test_definition_read_from_a_later_module() -> None:
    """lib/modules.nix: the order of modules does not matter for reading config."""
    declare = Module(options={"x": option(int, default=0), "y": option(int, default=0)})
    assert value("y", declare, Module(config=lambda cfg: {"y": cfg.x * 2}),
                 Module(config={"x": 21})) == 42


def test_infinite_recursion_is_a_cycle_error() -> None:
    """checkConfigError 'infinite recursion encountered' (import-custom-arg / freeform
    strict cases): a definition that keeps changing what it reads is a CycleError that
    names the options involved (DESIGN §2)."""
    declare = Module(options={"x": option(int, default=0), "y": option(int, default=0)})
    with pytest.raises(e.CycleError) as raised:
        ev(declare, Module(config=lambda cfg: {"x": cfg.y + 1}),
           Module(config=lambda cfg: {"y": cfg.x + 1}))
    message = str(raised.value)
    assert "reads x" in message and "defines y" in message


def test_reading_an_undeclared_option_suggests() -> None:
    """checkConfigError 'attribute .* not found' when reading config: pydeclos names the
    option, where it was read and the close names."""
    declare = Module(options={"services": {"web": {"enable": option(bool, default=False)}}})
    with pytest.raises(e.UnknownOptionError, match=r"(?s)`services.web.enabel` does not exist.*"
                                                   r"Did you mean `services.web.enable`"):
        ev(declare, Module(config=lambda cfg: {} if cfg.services.web.enabel else {}))


def test_cfg_is_read_only() -> None:
    """config is a value, not a place: assigning to cfg is an error (DESIGN §2)."""
    declare = Module(options={"x": option(int, default=0)})

    def assign(cfg: object) -> dict:
        cfg.x = 1  # type: ignore[attr-defined]
        return {}

    with pytest.raises(e.ConfigFunctionError, match="read-only"):
        ev(declare, Module(config=assign))


def test_config_function_may_return_nothing() -> None:
    """A module whose config is empty defines nothing (`{ }`). (Returning None is an
    error in pydeclos: in Python it is most often a forgotten `return`.)"""
    declare = Module(options={"x": option(int, default=3)})
    assert value("x", declare, Module(config=lambda cfg: {})) == 3


def test_dict_values_read_like_mappings() -> None:
    """config.<attrsOf option> is an attribute set: `?`, attrNames, per-key access (DESIGN
    §2: `[]`, `in`, iteration, `.items()`, `.get()`)."""
    declare = Module(options={"hosts": option(dict[str, HOST], default={}),
                              "summary": option(list[str], default=[])})
    reader = Module(config=lambda cfg: {"summary": [
        f"{name}:{host.port}:{cfg.hosts[name]['root']}" for name, host in cfg.hosts.items()
    ] + [str("a" in cfg.hosts), str(cfg.hosts.get("zzz"))]})
    assert value("summary", declare, reader, Module(config={"hosts": {"a": {"port": 1}}})) == [
        "a:1:/srv", "True", "None"]


def test_dotted_keys_walk_option_sets_only() -> None:
    """DESIGN §1: a dotted key is shorthand for nesting while it walks through option sets;
    splitting stops at the first declared option (attrsOf names keep their dots), as
    `services.nginx.virtualHosts."example.org"` in Nix."""
    declare = Module(options={"services": {"nginx": {
        "enable": option(bool, default=False),
        "virtual_hosts": option(dict[str, HOST], default={}),
    }}})
    evaluation = ev(declare, Module(config={
        "services.nginx.enable": True,
        "services.nginx.virtual_hosts": {"example.org": {"port": 8080}},
    }))
    assert evaluation.value("services.nginx.enable") is True
    assert evaluation.value('services.nginx.virtual_hosts."example.org".port') == 8080


def test_top_level_mk_merge_is_like_two_modules() -> None:
    """lib/modules.nix: `config = mkMerge [ a b ]` is the same as two modules."""
    declare = Module(options={"xs": option(list[str], default=[]), "y": option(int, default=0)})
    assert ev(declare, Module(config=mk_merge([{"xs": ["a"]}, {"xs": ["b"], "y": 1}]))).value(
        "xs") == ["a", "b"]


def test_mk_vm_override_beats_mk_force() -> None:
    """lib/modules.nix: mkVMOverride = mkOverride 10 beats mkForce (50)."""
    declare = Module(options={"x": option(int, default=0)})
    assert value("x", declare, Module(config={"x": mk_force(1)}),
                 Module(config={"x": mk_override(10, 2)})) == 2


def test_priority_of_whole_submodule_entries() -> None:
    """lib/types.nix attrsOf: priorities filter the definitions of one entry as a whole:
    `hosts.a = mkDefault { port = 1; }` loses to `hosts.a = { root = "/x"; }`, so the port
    is the option default."""
    declare = Module(options={"hosts": option(dict[str, HOST], default={})})
    assert value("hosts.a", declare, Module(config={"hosts": {"a": mk_default({"port": 1})}}),
                 Module(config={"hosts": {"a": {"root": "/x"}}})) == {"root": "/x", "port": 80}


def test_definitions_of_one_entry_merge_as_modules() -> None:
    """lib/types.nix submodule: several definitions of one entry are several modules of its
    evaluation; their options merge."""
    declare = Module(options={"hosts": option(dict[str, HOST], default={})})
    assert value("hosts.a", declare, Module(config={"hosts": {"a": {"port": 1}}}),
                 Module(config={"hosts": {"a": {"root": "/x"}}})) == {"root": "/x", "port": 1}


def test_submodule_config_function_gets_name_and_its_own_cfg() -> None:
    """lib/types.nix submodule: a submodule's modules see their own `config` and `name`."""
    sub = t.submodule(Module(options={"port": option(int, default=80),
                                      "url": option(str, default="")},
                             config=lambda cfg, name: {"url": f"http://{name}:{cfg.port}"}))
    declare = Module(options={"hosts": option(dict[str, sub], default={})})
    assert value("hosts.web.url", declare, Module(config={"hosts": {"web": {"port": 81}}})) == \
        "http://web:81"


def test_submodule_definition_as_a_function() -> None:
    """lib/types.nix submodule: a definition may be a function module (`{ name, config, ... }:
    { ... }`); pydeclos: a function of cfg (and name)."""
    sub = t.submodule({"port": option(int, default=80), "label": option(str, default="")})
    declare = Module(options={"hosts": option(dict[str, sub], default={})})
    assert value("hosts.a.label", declare, Module(config={"hosts": {
        "a": lambda cfg, name: {"label": f"{name}-{cfg.port}"}}})) == "a-80"
