"""Renderers of a recipe-check result: plain text, the JSON contract, and Markdown for a pull-request comment."""

from __future__ import annotations

import json
from typing import Any

from .check import public

ICON = {"conflict": "CONFLICT", "caution": "caution", "info": "info"}


def _settings(s: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" if v != "" else k for k, v in s.items())


def _code(text: str) -> str:
    """Config text shown as a code span, so nothing in it renders as a link or markup."""
    clean = " ".join(str(text).replace("`", "'").replace("|", "\\|").split())
    return f"`{clean}`" if clean else ""


def render_json(results: list[dict[str, Any]]) -> str:
    """One result as the JSON contract object; several as a list of them."""
    pub = [public(r) for r in results]
    return json.dumps(pub[0] if len(pub) == 1 else pub, indent=2, ensure_ascii=False)


def render_text(results: list[dict[str, Any]]) -> str:
    """Readable report: framework, tricks in use (explicit then defaults), off, findings, changes."""
    out: list[str] = []
    for r in results:
        fw = r.get("_framework")
        out.append(f"{r['file']} ({r['format']}" + (f", {fw['name']} defaults from {fw['version']}" if fw else "") + ")")
        out += [f"  note: {n}" for n in r.get("_skipped", [])]
        on = [t for t in r["tricks"] if t["state"] == "on"]
        off = [t for t in r["tricks"] if t["state"] == "off"]
        out.append(f"  tricks in use: {len(on)}")
        for t in on:
            where = f"line {t['line']}" if t["line"] else "not in the file"
            out.append(f"    {t['id']:28s} {t['verdict']:12s} grade {t['grade']}  {t['source']:8s} {where}"
                       + (f"  [{_settings(t['settings'])}]" if t["settings"] else ""))
        if off:
            out.append("  present but off:")
            for t in off:
                out.append(f"    {t['id']:28s} line {t['line']}  [{_settings(t['settings'])}]")
        out.append(f"  findings: {len(r['findings'])}")
        for f in r["findings"]:
            claims = ", ".join(f"claim {c['number']} (grade {c['grade']})" for c in f["claims"])
            where = f" line {f['line']}" if f["line"] else ""
            out.append(f"    {ICON[f['severity']]}: {f['trick']}{where}: {f['message']} [{claims}]")
        for c in r.get("changes", []):
            out.append(f"  changed: {c['trick']} ({c['verdict']}, grade {c['grade']}): "
                       f"{c['before']['state']} {_settings(c['before']['settings'])} -> "
                       f"{c['after']['state']} {_settings(c['after']['settings'])}")
        out.append(f"  unrecognised settings: {len(r['unrecognised'])}; entries: tricks-kb show ID")
    return "\n".join(out)


def render_markdown(results: list[dict[str, Any]], trick_href: str = "?trick=") -> str:
    """A Markdown section per file, ready to paste into a pull-request comment.

    ``trick_href`` prefixes each trick's id in its link (the app passes its absolute trick page path).
    """
    out: list[str] = []
    for r in results:
        out.append(f"### Recipe check: {_code(r['file'])}\n")
        out += [f"> note: {_code(n)}\n" for n in r.get("_skipped", [])]
        if r["findings"]:
            out.append("| severity | trick | line | finding | evidence |\n|---|---|---|---|---|")
            for f in r["findings"]:
                ev = "; ".join(f"claim {c['number']} ({c['grade']})" for c in f["claims"])
                out.append(f"| {f['severity']} | `{f['trick']}` | {f['line'] or ''} | {f['message']} | {ev} |")
            out.append("")
        else:
            out.append("No findings.\n")
        out.append("| trick | verdict | grade | source | line | settings |\n|---|---|---|---|---|---|")
        for t in r["tricks"]:
            name = t["id"] if t["state"] == "on" else f"{t['id']} (off)"
            sett = _code(_settings(t["settings"]))
            out.append(f"| [{name}]({trick_href}{t['id']}) | {t['verdict']} | {t['grade']} | {t['source']} | "
                       f"{t['line'] or ''} | {sett} |")
        if r.get("changes"):
            out.append("\n**Changed against the base config**\n")
            for c in r["changes"]:
                out.append(f"- `{c['trick']}` ({c['verdict']}, grade {c['grade']}): {c['before']['state']} -> "
                           f"{c['after']['state']}")
        out.append("")
    return "\n".join(out)
