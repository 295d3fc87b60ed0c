"""YAML (composed safely, tags kept as text, never constructed), JSON and TOML readers with the line of every key."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import yaml

from .readers import MAX_ITEMS, Item, Parsed, ReadError, parse_scalar

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"


# --- YAML and JSON -----------------------------------------------------------------------


def read_yaml(text: str, filename: str, fmt: str = "yaml") -> Parsed:
    out = Parsed(fmt)
    try:
        docs = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ReadError("RC003", f"invalid {fmt.upper()}: {(exc.problem or str(exc)).strip()}",
                        "check indentation and quoting on this line and the one before", line, col) from None
    except yaml.YAMLError as exc:
        raise ReadError("RC003", f"invalid {fmt.upper()}: {exc}", "check the file's syntax") from None
    budget = [0]
    for doc in docs:
        if doc is not None:
            _walk_yaml(doc, "", None, text, out, budget, 0)
    out.items = _resolve_refs(out.items, out.notes)
    return out


_REF = re.compile(r"^(?:!ref\s*<([\w.\-]+)>|\$\{([\w.\-]+)\})$")


def _resolve_refs(items: list[Item], notes: list[str]) -> list[Item]:
    """A value that is only a reference (``!ref <lr>``, ``${optim.lr}``) takes the referenced key's value."""
    by_key = {it.key: it for it in items}
    out = []
    for it in items:
        m = _REF.match(it.raw.strip()) if isinstance(it.value, str) else None
        target = by_key.get(m.group(1) or m.group(2)) if m else None
        if target is not None and not isinstance(target.value, dict | list):
            notes.append(f"line {it.line}: {it.key} refers to {target.key} ({target.raw})")
            it = Item(it.key, target.value, it.raw, it.line, it.col)
        out.append(it)
    return out


def _tag_text(tag: str) -> str:
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


def _walk_yaml(node: Any, path: str, key_mark: Any, text: str, out: Parsed, budget: list[int], depth: int) -> Any:
    budget[0] += 1
    if budget[0] > MAX_ITEMS * 5 or depth > 60:
        raise ReadError("RC002", "YAML nesting or aliasing is too large", "check a smaller config")
    mark = key_mark or node.start_mark
    line, col = mark.line + 1, mark.column + 1
    tag = node.tag or ""
    custom = tag and not tag.startswith(_STD)
    if tag.startswith(_STD + "python") or custom:
        out.notes.append(f"line {node.start_mark.line + 1}: tag {_tag_text(tag)} read as text, never constructed")
    if isinstance(node, yaml.MappingNode):
        value: dict[str, Any] = {}
        for k, v in node.value:
            kname = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
            if kname == "<<" and isinstance(v, yaml.MappingNode):
                _walk_yaml(v, path, None, text, out, budget, depth + 1)
                continue
            child = f"{path}.{kname}" if path else kname
            value[kname] = _walk_yaml(v, child, k.start_mark, text, out, budget, depth + 1)
        if path:
            out.items.append(Item(path, value, _slice(text, node), line, col))
            if custom:  # HyperPyYAML `!new:torch.optim.Adam` and the like: what would be constructed
                out.items.append(Item(f"{path}._call_", tag, tag, line, col))
        return value
    if isinstance(node, yaml.SequenceNode):
        vals = []
        for i, v in enumerate(node.value):
            if isinstance(v, yaml.MappingNode | yaml.SequenceNode):
                vals.append(_walk_yaml(v, f"{path}.{i}" if path else str(i), None, text, out, budget, depth + 1))
            else:
                vals.append(_yaml_scalar(v))
        if path:
            raw = _slice(text, node)
            if custom or tag.startswith(_STD + "python"):
                raw = f"{_tag_text(tag)} " + raw if not raw.startswith("!") else raw
            out.items.append(Item(path, vals, raw, line, col))
        return vals
    value = _yaml_scalar(node)
    raw = str(node.value)
    if custom:
        raw = f"{tag} {raw}".strip() if raw else tag
        value = raw
    if path:
        out.items.append(Item(path, value, raw, line, col))
    return value


def _yaml_scalar(node: Any) -> Any:
    tag = node.tag or ""
    if not isinstance(node, yaml.ScalarNode):
        return None
    if tag.startswith(_STD) and tag != _STD + "str":
        return parse_scalar(node.value)
    if not node.style and tag in ("", _STD + "str") and not node.value:
        return None
    if not node.style and tag == _STD + "str":  # a plain scalar the 1.1 resolver left as text ("1e-8")
        v = parse_scalar(node.value)
        return v if not isinstance(v, bool | type(None)) else node.value
    return node.value


def _slice(text: str, node: Any) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.SequenceNode | yaml.MappingNode) and not node.flow_style and node.value:
        last = node.value[-1]
        end = (last[1] if isinstance(last, tuple) else last).end_mark.index  # block style: stop before comments
    raw = text[start:end].strip()
    return raw if len(raw) <= 300 else raw[:297] + "..."


def read_json(text: str, filename: str) -> Parsed:
    try:
        json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        col = getattr(exc, "colno", 1)
        raise ReadError("RC003", f"invalid JSON: {getattr(exc, 'msg', exc)}", "check commas and quotes", line,
                        col) from None
    try:
        return read_yaml(text, filename, "json")
    except ReadError:  # JSON that YAML 1.1 cannot compose (tabs, odd escapes): keep values, find lines by text
        return _json_fallback(text)


def _json_fallback(text: str) -> Parsed:
    out = Parsed("json")
    lines = text.splitlines()

    def line_of(key: str) -> int:
        for i, ln in enumerate(lines, 1):
            if f'"{key}"' in ln:
                return i
        return 1

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if path else str(k))
        if path:
            out.items.append(Item(path, v, json.dumps(v) if not isinstance(v, str) else v,
                                  line_of(path.rsplit(".", 1)[-1])))

    walk(json.loads(text), "")
    return out


# --- TOML ----------------------------------------------------------------------------------

_TOML_HEAD = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_LINE = re.compile(r"^\s*([A-Za-z0-9_\-.\"']+)\s*=\s*(.*)$")


def read_toml(text: str, filename: str) -> Parsed:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        raise ReadError("RC003", f"invalid TOML: {exc}", "check the table headers and quoting", line, col) from None
    where: dict[str, tuple[int, str]] = {}
    table = ""
    for i, ln in enumerate(text.splitlines(), 1):
        if ln.lstrip().startswith("#"):
            continue
        h = _TOML_HEAD.match(ln)
        if h:
            table = h.group(1).replace('"', "").replace("'", "")
            where.setdefault(table, (i, ""))
            continue
        kv = _TOML_LINE.match(ln)
        if kv:
            key = kv.group(1).replace('"', "").replace("'", "")
            raw = re.sub(r"\s+#.*$", "", kv.group(2)).strip()
            where.setdefault(f"{table}.{key}" if table else key, (i, raw.strip('"').strip("'")))
    out = Parsed("toml")

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if path else k)
        if path:
            line, raw = where.get(path, (where.get(path.rsplit(".", 1)[0], (1, ""))[0], ""))
            if not raw:
                raw = v if isinstance(v, str) else json.dumps(v, default=str)
            out.items.append(Item(path, v, str(raw), line))

    walk(data, "")
    out.items.sort(key=lambda it: it.line)
    return out
