"""The recipe check as one call: read a config, infer its framework, detect tricks, evaluate findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog import load_catalog
from ..evidence import best_grade
from ..loader import FileRefused, read_regular_file
from ..schema import Trick
from .defaults import infer
from .detect import Found, detect
from .findings import Context, evaluate
from .framework import Framework
from .match import find
from .readers import MAX_BYTES, Parsed, ReadError, read_bytes, read_text

MAX_UNRECOGNISED = 100
_CACHE: dict[str, dict[str, Trick]] = {}


def catalog_tricks(catalog_dir: Path | None = None) -> dict[str, Trick]:
    """Valid catalog entries by id, loaded once per folder."""
    key = str(catalog_dir or "")
    if key not in _CACHE:
        _CACHE[key] = load_catalog([catalog_dir] if catalog_dir else None).tricks
    return _CACHE[key]


def _trick_record(t: Trick, f: Found) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "verdict": t.verdict.value, "grade": best_grade(t),
            "settings": f.settings, "line": f.line, "source": f.source, "state": f.state}


def _known_keys(tricks: dict[str, Trick]) -> list[str]:
    return [k for t in tricks.values() if t.detect for s in t.detect.signals for k in s.keys] + \
        [k for t in tricks.values() if t.detect for k in t.detect.settings]


def _unrecognised(parsed: Parsed, tricks: dict[str, Trick], used: set[int]) -> list[dict[str, Any]]:
    known = {id(it) for it in find(parsed.items, _known_keys(tricks))}
    out = []
    for it in parsed.items:
        if isinstance(it.value, dict | list) or id(it) in known or id(it) in used:
            continue
        out.append({"key": it.key, "line": it.line, "value": it.raw})
        if len(out) >= MAX_UNRECOGNISED:
            break
    return out


def _rank(f: Found) -> tuple:
    return (f.state != "on", f.source != "explicit", f.line if f.line is not None else 10**9)


def detect_all(parsed: Parsed, tricks: dict[str, Trick], fw: Framework | None) -> dict[str, Found]:
    """Detect per command when a file holds several (a README): the union, each trick at its best showing."""
    sections = sorted({it.section for it in parsed.items})
    if len(sections) <= 1:
        return detect(parsed.items, tricks, fw)
    merged: dict[str, Found] = {}
    for s in sections:
        part = [it for it in parsed.items if it.section == s]
        for tid, f in detect(part, tricks, infer(part, parsed.format)).items():
            if tid not in merged or _rank(f) < _rank(merged[tid]):
                merged[tid] = f
    return merged


def check_parsed(parsed: Parsed, filename: str, tricks: dict[str, Trick],
                 base: Parsed | None = None) -> dict[str, Any]:
    """The JSON contract for an already-read config (and optional base config)."""
    fw = infer(parsed.items, parsed.format)
    found = detect_all(parsed, tricks, fw)
    ctx = Context(parsed.items, parsed.format, found, base.items if base else None)
    findings = evaluate(tricks, ctx)
    records = sorted((_trick_record(tricks[f.id], f) for f in found.values()),
                     key=lambda r: (r["state"] != "on", r["source"] != "explicit", r["line"] or 10**9, r["id"]))
    used = {id(it) for f in found.values() for it in f.items}
    out: dict[str, Any] = {"file": filename, "format": parsed.format, "tricks": records,
                           "findings": [x.to_dict() for x in findings],
                           "unrecognised": _unrecognised(parsed, tricks, used)}
    if base is not None:
        out["changes"] = _changes(parsed, base, tricks, fw)
    out["_framework"] = {"id": fw.id, "name": fw.name, "version": fw.version, "source": fw.source} if fw else None
    out["_notes"] = parsed.notes
    out["_skipped"] = parsed.skipped
    return out


def _changes(parsed: Parsed, base: Parsed, tricks: dict[str, Trick], fw) -> list[dict[str, Any]]:
    """Tricks whose state or settings differ between the base and this config."""
    now = detect_all(parsed, tricks, fw)
    before = detect_all(base, tricks, infer(base.items, base.format))
    out = []
    for tid in sorted(set(now) | set(before)):
        a, b = before.get(tid), now.get(tid)
        sa = (a.state, a.settings) if a else ("absent", {})
        sb = (b.state, b.settings) if b else ("absent", {})
        if sa != sb:
            t = tricks[tid]
            out.append({"trick": tid, "name": t.name, "verdict": t.verdict.value, "grade": best_grade(t),
                        "before": {"state": sa[0], "settings": sa[1]}, "after": {"state": sb[0], "settings": sb[1]}})
    return out


def public(result: dict[str, Any]) -> dict[str, Any]:
    """The stable JSON contract: the result without its private (underscore) keys."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


def check_text(text: str, filename: str | None = None, against: str | None = None,
               catalog_dir: Path | None = None) -> dict[str, Any]:
    """Check config text (and optionally a base config's text); return the JSON contract.

    Raises :class:`ReadError` when a config cannot be read.
    """
    tricks = catalog_tricks(catalog_dir)
    parsed = read_text(text, filename)
    base = read_text(against, None) if against is not None else None
    return public(check_parsed(parsed, filename or "<text>", tricks, base))


def check_path(path: Path, against: Path | None = None, catalog_dir: Path | None = None) -> dict[str, Any]:
    """Check one config file; the result keeps private keys (framework, reader notes) for the renderers."""
    tricks = catalog_tricks(catalog_dir)
    parsed = _read_file(path)
    base = _read_file(against) if against is not None else None
    return check_parsed(parsed, str(path), tricks, base)


def _read_file(path: Path) -> Parsed:
    try:
        # never blocks on a FIFO or reads a device without end; stops one byte past the size limit
        data = read_regular_file(path, MAX_BYTES)
    except FileRefused as exc:
        if exc.code == "TK043":
            raise ReadError("RC005", f"cannot read file: {exc.message}", "pass a config file") from None
        raise ReadError("RC002", f"config is above the {MAX_BYTES // 1024} KiB limit", "check a smaller config") from None
    except OSError as exc:
        raise ReadError("RC005", f"cannot read file: {exc.strerror}", "check the path and its permissions") from None
    return read_bytes(data, path.name)
