"""Config readers: text of any supported format in, a flat list of (dotted key, value, raw text, line) out.

Config files are data from strangers. YAML is composed with the safe loader and walked by hand, so no
tag is ever constructed (tags are kept as text and reported); Python configs are read with ``ast``,
literals and simple names only, never executed, evaluated or imported; command lines are split with
``shlex``. The format is detected from the content, the file name only breaks ties.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 512 * 1024
MAX_ITEMS = 20_000
FORMATS = ("json", "yaml", "toml", "python", "cli")

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class Item:
    """One setting: dotted key path, value (numbers parsed), raw text as written, 1-based line and column."""

    key: str
    value: Any
    raw: str
    line: int
    col: int = 1
    section: int = 0  # command lines: which command of the file (README with several) the flag belongs to


@dataclass
class Parsed:
    """A read config: its format, its settings in file order, and notes on what was read as text."""

    format: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    script: str | None = None  # command lines: the first script or program named


@dataclass
class ReadError(Exception):
    """A config that cannot be read, positioned for ``path:line:col: CODE message``."""

    code: str
    message: str
    hint: str
    line: int = 1
    col: int = 1

    def format(self, path: str) -> str:
        return f"{path}:{self.line}:{self.col}: {self.code} {self.message}\n    hint: {self.hint}"


# --- scalars ---------------------------------------------------------------------------

_NUM = re.compile(r"[-+]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d+)?")
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_NULL = {"null", "none", "~", ""}


def parse_scalar(text: str) -> Any:
    """Read a scalar written as text: numbers (``1e-8``, ``739_328``, ``.97``), booleans, null, else the text.

    YAML 1.1 readers leave ``1e-8`` as a string and 1.2 readers do not; reading the text ourselves gives
    one answer for both.
    """
    t = text.strip()
    low = t.casefold()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    if low in _NULL:
        return None
    if _NUM.fullmatch(t) and any(ch.isdigit() for ch in t) and "__" not in t:
        clean = t.replace("_", "")
        try:
            if re.fullmatch(r"[-+]?\d+", clean):
                return int(clean)
            return float(clean)
        except ValueError:
            return t
    return t


def as_number(value: Any) -> float | None:
    """A value as a number when it is one or its text reads as one (``"1e-3"``); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        v = parse_scalar(value)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    return None


# --- format detection ----------------------------------------------------------------------

_CLI_HINT = re.compile(r"(?m)(^|\s)--[A-Za-z][\w.-]*")
_PY_ASSIGN = re.compile(r"(?m)^[A-Za-z_][\w.]*\s*=\s*\S")
_TOML_TABLE = re.compile(r"(?m)^\s*\[\[?[A-Za-z0-9_.\-\"' ]+\]\]?\s*(#.*)?$")
_TOML_KV = re.compile(r"(?m)^\s*[A-Za-z0-9_\-\"'.]+\s*=\s*\S")
_YAML_KEY = re.compile(r"(?m)^\s*[^\s#:][^:#]*:(\s|$)")


def detect_format(text: str, filename: str | None = None) -> str:
    """The config format, from the content first and the file name second."""
    ext = (filename or "").rsplit(".", 1)[-1].casefold() if filename and "." in filename else ""
    stripped = text.lstrip()
    if ext in ("md", "mdx", "sh", "bash", "txt"):
        return "cli"
    if stripped[:1] in "{[" and stripped[:1]:
        try:
            json.loads(text)
            return "json"
        except ValueError:
            pass
    if stripped.startswith("#!") or (_CLI_HINT.search(text) and re.search(
            r"(?m)^\s*(python3?|torchrun|accelerate|deepspeed|bash|sh|srun|\./\S+\.sh|\S+\.py)\b", text)):
        return "cli"
    if ext == "toml" or (ext != "py" and _TOML_TABLE.search(text) and _TOML_KV.search(text)):
        try:
            tomllib.loads(text)
            return "toml"
        except tomllib.TOMLDecodeError:
            if ext == "toml":
                return "toml"
    if ext == "py" or (_PY_ASSIGN.search(text) and _parses_python(text) and not _YAML_KEY.search(text)):
        if _parses_python(text):
            return "python"
    if ext == "toml" or (_TOML_KV.search(text) and (_TOML_TABLE.search(text) or not _YAML_KEY.search(text))):
        try:
            tomllib.loads(text)
            return "toml"
        except tomllib.TOMLDecodeError:
            if ext == "toml":
                return "toml"
    if ext in ("yaml", "yml", "json") or _YAML_KEY.search(text):
        return "yaml" if ext != "json" else "json"
    if _CLI_HINT.search(text):
        return "cli"
    raise ReadError("RC001", "unknown config format: not JSON, YAML, TOML, a Python config or a command line",
                    "pass a .json, .yaml, .toml or .py config, or a shell script with --flag value pairs")


def _parses_python(text: str) -> bool:
    try:
        ast.parse(text)
        return True
    except (SyntaxError, ValueError):
        return False


def read_text(text: str, filename: str | None = None, fmt: str | None = None) -> Parsed:
    """Read config text into a flat list of settings; raise :class:`ReadError` when it cannot be read."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ReadError("RC002", f"config is larger than {MAX_BYTES // 1024} KiB",
                        "check one training config at a time, not a data file")
    if "\x00" in text:
        raise ReadError("RC004", "config contains a NUL byte: it is not text", "pass a text config file")
    fmt = fmt or detect_format(text, filename)
    reader = {"json": _read_json, "yaml": _read_yaml, "toml": _read_toml, "python": _read_python,
              "cli": _read_cli}[fmt]
    parsed = reader(text, filename or "")
    if len(parsed.items) > MAX_ITEMS:
        raise ReadError("RC002", f"config has more than {MAX_ITEMS} settings", "check a smaller config")
    return parsed


def read_bytes(data: bytes, filename: str | None = None) -> Parsed:
    """``read_text`` for raw bytes, refusing what is not UTF-8 text."""
    if len(data) > MAX_BYTES:
        raise ReadError("RC002", f"config is {len(data)} bytes, above the {MAX_BYTES // 1024} KiB limit",
                        "check one training config at a time, not a data file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReadError("RC004", f"byte 0x{data[exc.start]:02x} is not valid UTF-8", "save the config as UTF-8",
                        line) from None
    return read_text(text, filename)


# --- YAML and JSON -----------------------------------------------------------------------


def _read_yaml(text: str, filename: str, fmt: str = "yaml") -> Parsed:
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
    if node.style is None and tag in ("", _STD + "str") and not node.value:
        return None
    if node.style is None and tag == _STD + "str":  # a plain scalar the 1.1 resolver left as text ("1e-8")
        v = parse_scalar(node.value)
        return v if not isinstance(v, bool | type(None)) else node.value
    return node.value


def _slice(text: str, node: Any) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    raw = text[start:end].strip()
    return raw if len(raw) <= 300 else raw[:297] + "..."


def _read_json(text: str, filename: str) -> Parsed:
    try:
        json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        col = getattr(exc, "colno", 1)
        raise ReadError("RC003", f"invalid JSON: {getattr(exc, 'msg', exc)}", "check commas and quotes", line,
                        col) from None
    try:
        return _read_yaml(text, filename, "json")
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


def _read_toml(text: str, filename: str) -> Parsed:
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


# --- Python configs (ast, never executed) -------------------------------------------------------

_EXPR = object()


class _PyReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = Parsed("python")

    def seg(self, node: ast.AST) -> str:
        s = ast.get_source_segment(self.text, node) or ""
        s = " ".join(s.split()) if "\n" in s else s
        return s if len(s) <= 300 else s[:297] + "..."

    def value(self, node: ast.AST, path: str) -> Any:
        """The literal value of ``node`` (emitting items for nested keyword/dict children), or the text."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return self.seg(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = self.value(node.operand, path)
            if isinstance(v, int | float) and not isinstance(v, bool):
                return -v if isinstance(node.op, ast.USub) else v
            return self.seg(node)
        if isinstance(node, ast.BinOp):
            return _fold(node) if _fold(node) is not None else self.seg(node)
        if isinstance(node, ast.List | ast.Tuple):
            vals = []
            for i, elt in enumerate(node.elts):
                sub = f"{path}.{i}"
                if isinstance(elt, ast.Call | ast.Dict):
                    vals.append(self.emit(elt, sub))
                else:
                    vals.append(self.value(elt, sub))
            return vals
        if isinstance(node, ast.Dict):
            d: dict[str, Any] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    d[k.value] = self.emit(v, f"{path}.{k.value}", k)
            return d
        if isinstance(node, ast.Call):
            d = {}
            for kw in node.keywords:
                if kw.arg:
                    d[kw.arg] = self.emit(kw.value, f"{path}.{kw.arg}", kw)
            callee = self.seg(node.func)
            if callee != "dict":
                self.out.items.append(Item(f"{path}._call_", callee, callee, node.lineno, node.col_offset + 1))
                d["_call_"] = callee
            return d
        return _EXPR

    def emit(self, node: ast.AST, path: str, key_node: ast.AST | None = None) -> Any:
        v = self.value(node, path)
        if v is _EXPR:
            v = self.seg(node)
            self.out.notes.append(f"line {node.lineno}: {path} is an expression, read as text")
        where = key_node if key_node is not None and hasattr(key_node, "lineno") else node
        raw = self.seg(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            raw = node.value
        self.out.items.append(Item(path, v, raw, where.lineno, where.col_offset + 1))
        return v

    def target(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.target(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            base = self.target(node.value)
            return f"{base}.{node.slice.value}" if base else None
        return None

    def run(self) -> Parsed:
        try:
            tree = ast.parse(self.text)
        except SyntaxError as exc:
            raise ReadError("RC003", f"invalid Python: {exc.msg}", "a Python config must parse; it is never run",
                            exc.lineno or 1, exc.offset or 1) from None
        for stmt in tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self.out.notes.append(f"line {stmt.lineno}: import ignored (the config is never executed)")
                continue
            if isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    name = self.target(t)
                    if name:
                        self.emit(stmt.value, name, t)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                name = self.target(stmt.target)
                if name:
                    self.emit(stmt.value, name, stmt.target)
        self.out.items.sort(key=lambda it: (it.line, it.col))
        return self.out


def _fold(node: ast.AST) -> float | int | None:
    """Simple arithmetic over numeric literals (``5 * 8``, ``2**7``), computed here without eval."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _fold(node.operand)
        return -v if v is not None else None
    if isinstance(node, ast.BinOp):
        a, b = _fold(node.left), _fold(node.right)
        if a is None or b is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
            if isinstance(node.op, ast.FloorDiv):
                return a // b
            if isinstance(node.op, ast.Pow) and abs(b) <= 64 and abs(a) <= 1e6:
                return a**b
        except (ZeroDivisionError, OverflowError):
            return None
    return None


def _read_python(text: str, filename: str) -> Parsed:
    return _PyReader(text).run()


# --- command lines ---------------------------------------------------------------------------

_FLAG = re.compile(r"^--?([A-Za-z][\w.\-]*)(?:=(.*))?$", re.S)
_FENCE = re.compile(r"^\s*(```|~~~)")


def _command_lines(text: str, markdown: bool) -> list[list[tuple[str, int]]]:
    """Logical commands as lists of (physical line text, line number), continuations joined."""
    lines = text.splitlines()
    if markdown and any(_FENCE.match(ln) for ln in lines):
        keep = [False] * len(lines)
        inside = False
        for i, ln in enumerate(lines):
            if _FENCE.match(ln):
                inside = not inside
                continue
            keep[i] = inside
    else:
        keep = [True] * len(lines)
    commands: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    for i, ln in enumerate(lines, 1):
        if not keep[i - 1]:
            if current:
                commands.append(current)
                current = []
            continue
        body = ln.rstrip()
        cont = body.endswith("\\")
        if cont:
            body = body[:-1]
        if body.strip() or cont:
            current.append((body, i))
        if not cont and current:
            commands.append(current)
            current = []
    if current:
        commands.append(current)
    return commands


def _split(segment: str) -> list[str]:
    lex = shlex.shlex(segment, posix=True, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:  # an unclosed quote: fall back to whitespace
        return segment.split("#", 1)[0].split()


def _read_cli(text: str, filename: str) -> Parsed:
    markdown = filename.casefold().endswith((".md", ".mdx", ".markdown"))
    out = Parsed("cli")
    for section, command in enumerate(_command_lines(text, markdown)):
        tokens: list[tuple[str, int, int]] = []
        for segment, line in command:
            if segment.lstrip().startswith("#"):
                continue
            for tok in _split(segment):
                col = segment.find(tok.split("=", 1)[0]) + 1
                tokens.append((tok, line, max(col, 1)))
        if not any(t.startswith("-") for t, _, _ in tokens):
            continue
        i = 0
        while i < len(tokens):
            tok, line, col = tokens[i]
            if out.script is None and re.search(r"\.(py|sh)$", tok) and not tok.startswith("-"):
                out.script = tok
            if re.search(r"\.(py|sh)$", tok) and not tok.startswith("-"):
                out.items.append(Item("script", tok, tok, line, col, section))
            m = _FLAG.match(tok)
            if m and not re.fullmatch(r"-\d.*", tok):
                name = m.group(1)
                if m.group(2) is not None:
                    out.items.append(Item(name, parse_scalar(m.group(2)), m.group(2), line, col, section))
                elif i + 1 < len(tokens) and not _FLAG.match(tokens[i + 1][0]) or (
                        i + 1 < len(tokens) and re.fullmatch(r"-\d[\d.eE\-+]*", tokens[i + 1][0])):
                    nxt = tokens[i + 1][0]
                    if nxt in ("|", "&&", ";", ">", "2>&1") or "=" in nxt and not nxt.startswith(("'", '"')) \
                            and re.match(r"^[A-Z_]+=", nxt):
                        out.items.append(Item(name, True, "", line, col, section))
                    else:
                        out.items.append(Item(name, parse_scalar(nxt), nxt, line, col, section))
                        i += 1
                else:
                    out.items.append(Item(name, True, "", line, col, section))
            i += 1
    if not out.items:
        raise ReadError("RC001", "no --flag value pairs found in this command line or script",
                        "pass a script or README whose training command has --flag value arguments")
    return out
