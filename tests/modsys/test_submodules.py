"""Submodules: nested evaluations, `name`, dicts and lists of them, freeform, extension."""

from __future__ import annotations

import pytest

from pydeclos import Module, mk_default, mk_force, mk_if, option
from pydeclos import types as t
from pydeclos.modsys import evaluate
from pydeclos.modsys.errors import (
    ConflictingDefinitionsError,
    DeclarationError,
    MissingValueError,
    OptionTypeError,
    UnknownOptionError,
)

HOST = t.submodule(Module(
    options={
        "root": option(t.Path, description="Document root."),
        "port": option(t.Port, default=80),
        "server_name": option(str | None, default=None),
        "aliases": option(list[str], default=[]),
    },
    config=lambda cfg, name: {"server_name": mk_default(name), "aliases": [f"www.{name}"]},
))
DECLARE = Module(options={"hosts": option(dict[str, HOST], default={}),
                          "main": option(HOST),
                          "extra": option(list[HOST], default=[])})


def data(*configs: object) -> dict:
    return evaluate(Module(imports=[DECLARE, *(Module(config=c) for c in configs)])).value(
        "hosts")


def test_definitions_of_one_entry_merge_and_name_is_the_key() -> None:
    result = data({"hosts": {"example.org": {"root": "/srv/www"}}},
                  {"hosts": {"example.org": {"port": 8080, "aliases": ["b"]}}})
    assert result == {"example.org": {"root": "/srv/www", "port": 8080,
                                      "server_name": "example.org",
                                      "aliases": ["www.example.org", "b"]}}


def test_submodule_config_priority_loses_to_the_definition() -> None:
    result = data({"hosts": {"a": {"root": "/a", "server_name": "other"}}})
    assert result["a"]["server_name"] == "other"


def test_conflict_inside_a_submodule_names_the_full_path() -> None:
    with pytest.raises(ConflictingDefinitionsError, match=r'`hosts."a.org".port`'):
        data({"hosts": {"a.org": {"root": "/a", "port": 1}}},
             {"hosts": {"a.org": {"port": 2}}})


def test_force_on_an_entry_drops_other_definitions_of_it() -> None:
    result = data({"hosts": {"a": {"root": "/a", "port": 1}}},
                  {"hosts": {"a": mk_force({"root": "/b"})}})
    assert result["a"]["root"] == "/b"
    assert result["a"]["port"] == 80


def test_conditional_entries() -> None:
    result = data({"hosts": {"a": mk_if(False, {"root": "/a"}), "b": {"root": "/b"}}})
    assert list(result) == ["b"]


def test_missing_value_inside_an_entry() -> None:
    with pytest.raises(MissingValueError, match=r"`hosts.a.root` was accessed but has no value"):
        data({"hosts": {"a": {"port": 1}}})


def test_unknown_option_inside_an_entry_suggests() -> None:
    with pytest.raises(UnknownOptionError, match=r"(?s)`hosts.a.prot` does not exist.*`hosts.a.port`"):
        data({"hosts": {"a": {"root": "/a", "prot": 1}}})


def test_type_error_inside_an_entry() -> None:
    with pytest.raises(OptionTypeError, match=r"`hosts.a.root` is not of type `absolute path`"):
        data({"hosts": {"a": {"root": "relative"}}})


def test_plain_submodule_option_and_list_of_submodules() -> None:
    evaluation = evaluate(Module(imports=[DECLARE, Module(config={
        "main": {"root": "/m"},
        "extra": [{"root": "/e1"}, {"root": "/e2", "port": 81}],
    })]))
    assert evaluation.value("main.root") == "/m"
    assert evaluation.value("main.server_name") == "main"
    assert [e["port"] for e in evaluation.value("extra")] == [80, 81]


def test_entries_read_like_objects_in_config_functions() -> None:
    seen = []

    def reader(cfg):
        for name, host in cfg.hosts.items():
            seen.append((name, host.port, host["root"], "port" in host))
        return {}

    evaluate(Module(imports=[DECLARE, Module(config={"hosts": {"a": {"root": "/a"}}}),
                             Module(config=reader)]))
    assert ("a", 80, "/a", True) in seen


def test_freeform_keeps_undeclared_keys() -> None:
    settings = t.submodule({"port": option(int, default=22)}, freeform=dict[str, t.anything])
    evaluation = evaluate(Module(imports=[
        Module(options={"settings": option(settings, default={})}),
        Module(config={"settings": {"Banner": "hi", "nested": {"a": 1}}}),
        Module(config={"settings": {"nested": {"b": 2}, "port": 2222}}),
    ]))
    assert evaluation.value("settings") == {"Banner": "hi", "nested": {"a": 1, "b": 2},
                                            "port": 2222}


def test_freeform_values_are_type_checked() -> None:
    settings = t.submodule({}, freeform=dict[str, str])
    with pytest.raises(OptionTypeError, match=r"`settings.count` is not of type `str`"):
        evaluate(Module(imports=[
            Module(options={"settings": option(settings, default={})}),
            Module(config={"settings": {"count": 3}}),
        ])).value("settings")


def test_redeclaring_a_submodule_option_merges_the_option_sets() -> None:
    evaluation = evaluate(Module(imports=[
        Module(options={"s": option(t.submodule({"a": option(int, default=1)}), default={})}),
        Module(options={"s": option(t.submodule({"b": option(int, default=2)}))}),
    ]))
    assert evaluation.value("s") == {"a": 1, "b": 2}


def test_nested_declarations_extend_a_submodule_option() -> None:
    evaluation = evaluate(Module(imports=[
        Module(options={"s": option(dict[str, t.submodule({"a": option(int, default=1)})],
                                    default={})}),
        Module(options={"s": {"b": option(int, default=2)}}),
        Module(config={"s": {"x": {}}}),
    ]))
    assert evaluation.value("s") == {"x": {"a": 1, "b": 2}}


def test_nested_declarations_under_a_plain_option_are_an_error() -> None:
    with pytest.raises(DeclarationError, match="would be a parent of the following options"):
        evaluate(Module(imports=[Module(options={"s": option(int)}),
                                 Module(options={"s": {"b": option(int)}})]))


def test_submodule_imports_deduplicate_by_key_only() -> None:
    declare = Module(options={"raw": option(t.lines)})
    keyed = Module(config={"raw": "pear"}, key="pear")
    anonymous = Module(config={"raw": "pear"})
    evaluation = evaluate(Module(options={
        "once": option(t.submodule(Module(imports=[declare, keyed, keyed])), default={}),
        "twice": option(t.submodule(Module(imports=[declare, anonymous, anonymous])),
                        default={}),
    }))
    assert evaluation.value("once.raw") == "pear"
    assert evaluation.value("twice.raw") == "pear\npear"


def test_config_functions_read_freeform_values_and_settle() -> None:
    def summary(cfg):
        return {"summary": f"port={cfg.Port}"}

    typed = t.submodule(Module(options={"summary": option(str, default="")}, config=summary),
                        freeform=dict[str, int])
    evaluation = evaluate(Module(imports=[
        Module(options={"s": option(typed, default={})}),
        Module(config={"s": lambda cfg: {"Port": 22}}),  # defined after summary() ran
    ]))
    assert evaluation.value("s") == {"Port": 22, "summary": "port=22"}


def test_errors_inside_list_entries_name_the_position() -> None:
    with pytest.raises(OptionTypeError, match=r"`extra\[1\].port` is not of type"):
        evaluate(Module(imports=[DECLARE, Module(config={
            "main": {"root": "/m"},
            "extra": [{"root": "/e1"}, {"root": "/e2", "port": "http"}],
        })])).value("extra")


def test_submodule_functions_may_read_the_outer_configuration() -> None:
    seen = []

    def system(cfg):
        # a submodule definition that closes over the outer cfg
        return {"hosts": {"a": lambda sub: {"root": f"/srv/{cfg.label}"}}}

    def reader(cfg):
        seen.append(cfg.hosts["a"].root)
        return {}

    evaluation = evaluate(Module(imports=[
        DECLARE, Module(options={"label": option(str, default="none")}),
        Module(config=system),
        Module(config=reader),
        Module(config=lambda cfg: {"label": "late"}),  # defined after reader() ran
    ]))
    assert evaluation.value("hosts.a.root") == "/srv/late"
    assert seen == ["/srv/none", "/srv/late"]


def test_freeform_values_merge_into_declared_option_sets() -> None:
    settings = t.submodule(Module(
        options={"nest": {"declared": option(bool, default=False)},
                 "has_extra": option(bool, default=False)},
        config=lambda cfg: {"has_extra": "extra" in cfg and "free" in cfg.nest},
    ), freeform=dict[str, t.anything])
    evaluation = evaluate(Module(imports=[
        Module(options={"s": option(settings, default={})}),
        Module(config={"s": {"nest": {"free": 1}, "extra": "x"}}),
    ]))
    assert evaluation.value("s") == {"nest": {"declared": False, "free": 1}, "extra": "x",
                                     "has_extra": True}
    assert evaluation.value("s.nest.free") == 1


def test_nested_declarations_before_the_submodule_option() -> None:
    evaluation = evaluate(Module(imports=[
        Module(options={"s": {"b": {"c": option(int, default=2)}}}),
        Module(options={"s": option(t.submodule({"a": option(int, default=1)}), default={})}),
    ]))
    assert evaluation.value("s") == {"a": 1, "b": {"c": 2}}
