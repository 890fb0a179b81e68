"""Option documentation records: the one table behind `pydeclos options` and the docs."""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict, dataclass, field
from typing import Any

from pydeclos.modsys.options import UNSET, DeclaredOption, OptionSet
from pydeclos.modsys.paths import show_path
from pydeclos.modsys.values import freeze, to_plain


@dataclass
class OptionInfo:
    """One declared option as documentation shows it."""

    path: str
    type: str
    description: str
    declarations: list[str]
    default: Any = None
    example: Any = None
    has_default: bool = False
    has_example: bool = False
    read_only: bool = False
    internal: bool = False
    visible: bool = True
    sub_options: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _documented(value: Any) -> Any:
    try:
        plain = to_plain(freeze(value))
        json.dumps(plain)
        return plain
    except (TypeError, ValueError):
        return repr(value)


def option_infos(tree: OptionSet, prefix: tuple[str, ...] = ()) -> list[OptionInfo]:
    """Every option of `tree`, submodule options included under `<name>` / `*` placeholders."""
    out: list[OptionInfo] = []
    for decl in tree.options():
        out.extend(_infos_of(decl, prefix))
    return out


def _infos_of(decl: DeclaredOption, prefix: tuple[str, ...]) -> list[OptionInfo]:
    path = (*prefix, *decl.path)
    info = OptionInfo(
        path=show_path(path),
        type=decl.type.description,
        description=decl.description,
        declarations=[str(site) for site in decl.sites],
        default=_documented(decl.default) if decl.default is not UNSET else None,
        example=_documented(decl.example) if decl.example is not UNSET else None,
        has_default=decl.default is not UNSET,
        has_example=decl.example is not UNSET,
        read_only=decl.read_only,
        internal=decl.internal,
        visible=decl.visible and not decl.hidden,
    )
    out = [info]
    nested = decl.type.sub_options()
    if nested is not None:
        sub_tree, placeholder = nested
        sub_prefix = (*path, *placeholder.split(".")) if placeholder else path
        children = option_infos(sub_tree, sub_prefix)
        info.sub_options = [child.path for child in children]
        out.extend(children)
    return out


def render_text(infos: list[OptionInfo]) -> str:
    blocks = []
    for info in infos:
        lines = [info.path, f"    type: {info.type}"]
        if info.has_default:
            lines.append(f"    default: {json.dumps(info.default, sort_keys=True)}")
        if info.has_example:
            lines.append(f"    example: {json.dumps(info.example, sort_keys=True)}")
        if info.read_only:
            lines.append("    read-only")
        if info.description:
            lines.extend(textwrap.wrap(info.description, width=96, initial_indent="    ",
                                       subsequent_indent="    "))
        lines.append(f"    declared in {', '.join(info.declarations)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_markdown(infos: list[OptionInfo]) -> str:
    blocks = []
    for info in infos:
        lines = [f"## `{info.path}`", ""]
        if info.description:
            lines += [info.description, ""]
        lines.append(f"- Type: `{info.type}`")
        if info.has_default:
            lines.append(f"- Default: `{json.dumps(info.default, sort_keys=True)}`")
        if info.has_example:
            lines.append(f"- Example: `{json.dumps(info.example, sort_keys=True)}`")
        if info.read_only:
            lines.append("- Read-only")
        lines.append("- Declared in: " + ", ".join(f"`{d}`" for d in info.declarations))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
