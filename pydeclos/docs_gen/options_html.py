"""The option reference as one static page: `pydeclos options --html DIR`.

Self-contained (inline CSS and JS, the records as JSON in the page), so it works from
file:// and behind any web server, with no network. The records are the ones `--json`
prints; the search runs in the browser over path, NixOS names and description.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from pydeclos.nixos_names import NIXOS_NAMES

PAGE = "index.html"


def nixos_names_by_path() -> dict[str, list[str]]:
    """pydeclos option path (with `<name>`) -> the NixOS names it answers to."""
    out: dict[str, list[str]] = {}
    for row in NIXOS_NAMES:
        if row.pydeclos is not None:
            out.setdefault(row.pydeclos, []).append(row.nixos)
    return out


def write_page(records: list[dict[str, Any]], directory: Path, title: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / PAGE
    page.write_text(render_page(records, title), encoding="utf-8")
    return page


def render_page(records: list[dict[str, Any]], title: str) -> str:
    # `<` escaped, so no description can close the script element.
    data = json.dumps(records, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return (_TEMPLATE.replace("@TITLE@", html.escape(title))
            .replace("@COUNT@", str(len(records)))
            .replace("@DATA@", data))


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1f21; background: #fafafa; }
header { position: sticky; top: 0; background: #24476b; color: #fff; padding: .8em 1.2em; }
header h1 { font-size: 1.2em; margin: 0 0 .4em; }
#q { width: 100%; box-sizing: border-box; font-size: 1.1em; padding: .4em .6em; border: 0;
     border-radius: 4px; }
#count { font-size: .9em; margin-top: .3em; opacity: .9; }
main { padding: .5em 1.2em 3em; max-width: 70em; }
.option { background: #fff; border: 1px solid #ddd; border-radius: 5px; margin: .7em 0;
          padding: .6em .9em; }
.option h2 { font: 600 1em ui-monospace, monospace; margin: 0 0 .3em; word-break: break-all; }
.option h2 a { color: inherit; text-decoration: none; }
.desc { margin: .3em 0; white-space: pre-wrap; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15em .8em; margin: .3em 0 0;
     font-size: .92em; }
dt { color: #555; }
dd { margin: 0; font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
.tag { font: .75em system-ui, sans-serif; background: #e8eef5; border-radius: 3px;
       padding: .05em .4em; margin-left: .5em; }
[hidden] { display: none !important; }
</style>
</head>
<body>
<header>
<h1>@TITLE@</h1>
<input id="q" type="search" autofocus autocomplete="off"
       placeholder="Search @COUNT@ options by path, NixOS name or description">
<div id="count"></div>
</header>
<main id="options"></main>
<script type="application/json" id="data">@DATA@</script>
<script>
"use strict";
const records = JSON.parse(document.getElementById("data").textContent);
const list = document.getElementById("options");
const input = document.getElementById("q");
const count = document.getElementById("count");

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(dl, name, value) {
  dl.append(el("dt", "", name), el("dd", "", value));
}

const entries = records.map(function (r) {
  const box = el("section", "option");
  box.id = r.path;
  const h = el("h2");
  const a = el("a", "", r.path);
  a.href = "#" + encodeURIComponent(r.path);
  h.append(a);
  if (r.read_only) h.append(el("span", "tag", "read-only"));
  if (r.internal) h.append(el("span", "tag", "internal"));
  box.append(h);
  if (r.description) box.append(el("p", "desc", r.description));
  const dl = el("dl");
  const nixos = r.nixos_names || [];
  if (nixos.length) row(dl, "NixOS", nixos.join(", "));
  row(dl, "Type", r.type);
  if (r.has_default) row(dl, "Default", JSON.stringify(r.default, null, 1));
  if (r.has_example) row(dl, "Example", JSON.stringify(r.example, null, 1));
  row(dl, "Declared in", r.declarations.join(", "));
  box.append(dl);
  list.append(box);
  const haystack = [r.path, nixos.join(" "), r.description].join("\\n").toLowerCase();
  return {box: box, haystack: haystack};
});

function search() {
  const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const entry of entries) {
    const hit = words.every(function (w) { return entry.haystack.includes(w); });
    entry.box.hidden = !hit;
    if (hit) shown += 1;
  }
  count.textContent = words.length ? shown + " of " + entries.length + " options"
                                   : entries.length + " options";
}

input.addEventListener("input", search);
const asked = new URLSearchParams(location.search).get("q");
if (asked) input.value = asked;
search();
</script>
</body>
</html>
"""
