"""Safe, strict YAML loading that keeps the line and column of every value.

Only plain data is accepted: mappings, sequences and the standard scalars. Duplicate keys,
anchors/aliases, explicit tags, byte-order marks, non-UTF-8 bytes and oversized files are
refused with a positioned :class:`~tricks_kb.diagnostics.Problem` instead of being silently
accepted the way ``yaml.safe_load`` would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Problem

MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 40

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_constructor = yaml.constructor.SafeConstructor()

PathKey = tuple[str | int, ...]


@dataclass
class Loaded:
    """A parsed file: its data and where every value and key sits (1-based line, column)."""

    path: str
    text: str = ""
    data: Any = None
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    raw: dict[PathKey, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, path: PathKey, key: bool = True) -> tuple[int, int]:
        """Best position for a path: the key if asked and known, else the value, else the nearest parent."""
        table = (self.key_positions, self.positions) if key else (self.positions, self.key_positions)
        probe = tuple(path)
        while True:
            for t in table:
                if probe in t:
                    return t[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def problem(self, path: PathKey, code: str, message: str, hint: str | None = None, key: bool = True) -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.path, line, col, code, message, hint)


class _Refused(Exception):
    def __init__(self, code: str, message: str, mark: Any, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _line_col_of_offset(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def load_text(text: str, path: str) -> Loaded:
    """Parse YAML text into plain data with positions; problems are collected, never raised."""
    out = Loaded(path=path, text=text)
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        out.problems.append(
            Problem(path, 1, 1, "TK002", "file is empty: expected a mapping of entry fields",
                    "start from `tricks-kb new <id>`")
        )
        return out
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark)
        problem = (exc.problem or str(exc)).strip()
        hint = None
        if "\t" in text and ("'\\t'" in problem or "tab" in problem.lower()):
            hint = "YAML forbids tabs for indentation: indent with spaces"
        elif "expected a single document" in str(exc):
            hint = "one entry per file: remove the extra '---' document"
        else:
            hint = "check indentation and quoting on this line and the one before"
        out.problems.append(Problem(path, line, col, "TK001", f"invalid YAML: {problem}", hint))
        return out
    except yaml.YAMLError as exc:
        out.problems.append(Problem(path, 1, 1, "TK001", f"invalid YAML: {exc}".strip(), None))
        return out
    if node is None:
        out.problems.append(Problem(path, 1, 1, "TK002", "file has no content: expected a mapping", None))
        return out
    if not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        line, col = _pos(node.start_mark)
        out.problems.append(
            Problem(path, line, col, "TK002", f"top level is {kind}, expected a mapping of entry fields",
                    "an entry is `key: value` lines such as `id: my-trick`")
        )
        return out
    seen: set[int] = set()
    try:
        out.data = _build(node, (), out, seen, 0)
    except _Refused as exc:
        line, col = _pos(exc.mark)
        if exc.code == "TK007" and "alias" in exc.message:
            line, col = _first_alias(text) or (line, col)
        out.problems.append(Problem(path, line, col, exc.code, exc.message, exc.hint))
        out.data = None
    return out


def _first_alias(text: str) -> tuple[int, int] | None:
    """Position of the first alias (*name) in the text; composed nodes only know the anchor."""
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                return _pos(event.start_mark)
    except yaml.YAMLError:
        return None
    return None


def _build(node: Any, path: PathKey, out: Loaded, seen: set[int], depth: int) -> Any:
    if id(node) in seen:
        raise _Refused("TK007", "YAML alias (*name) reuses an earlier node", node.start_mark,
                       "write the value out in full; anchors and aliases are not allowed")
    seen.add(id(node))
    if len(seen) > MAX_NODES:
        raise _Refused("TK005", f"more than {MAX_NODES} YAML nodes", node.start_mark, None)
    if depth > MAX_DEPTH:
        raise _Refused("TK013", f"nesting deeper than {MAX_DEPTH} levels", node.start_mark, None)
    out.positions[path] = _pos(node.start_mark)
    tag = node.tag or ""
    if isinstance(node, yaml.MappingNode):
        if tag != _TAG + "map":
            raise _forbidden_tag(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise _Refused("TK007", "YAML merge key '<<' is not allowed", key_node.start_mark,
                               "write the keys out in full")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _TAG + "str":
                raise _Refused("TK012", "mapping keys must be plain text", key_node.start_mark,
                               "quote the key, e.g. '\"2019\": ...'")
            key = key_node.value
            child = path + (key,)
            if key in result:
                first = out.key_positions.get(child, (0, 0))
                raise _Refused("TK003", f"duplicate key '{key}' (first defined on line {first[0]})",
                               key_node.start_mark, "remove one of the two; YAML would silently keep the last")
            out.key_positions[child] = _pos(key_node.start_mark)
            result[key] = _build(value_node, child, out, seen, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        if tag != _TAG + "seq":
            raise _forbidden_tag(node)
        return [_build(item, path + (i,), out, seen, depth + 1) for i, item in enumerate(node.value)]
    if tag not in _SCALAR_TAGS:
        raise _forbidden_tag(node)
    out.raw[path] = node.value
    if tag == _TAG + "str":
        return node.value
    try:
        value = _constructor.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        if tag == _TAG + "timestamp":
            raise _Refused("TK028", f"'{node.value}' is not a real date ({exc})", node.start_mark,
                           "use an existing date as YYYY-MM-DD") from None
        raise _Refused("TK013", f"cannot read value '{node.value}': {exc}", node.start_mark, None) from None
    return value


def _forbidden_tag(node: Any) -> _Refused:
    tag = node.tag or "?"
    shown = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
    return _Refused("TK006", f"YAML tag {shown} is not allowed", node.start_mark,
                    "entries are plain data: remove the tag")


def load_file(path: Path | str, display: str | None = None) -> Loaded:
    """Read and parse one file, checking size and encoding first."""
    p = Path(path)
    shown = display or str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return Loaded(path=shown, problems=[Problem(
                shown, 1, 1, "TK005", f"file is {size} bytes, above the {MAX_FILE_BYTES}-byte limit",
                "an entry should be a few kilobytes; split notes out or trim long text")])
        data = p.read_bytes()
    except OSError as exc:
        return Loaded(path=shown, problems=[Problem(shown, 1, 1, "TK004", f"cannot read file: {exc.strerror}", None)])
    if data.startswith(b"\xef\xbb\xbf"):
        return Loaded(path=shown, problems=[Problem(
            shown, 1, 1, "TK004", "file starts with a UTF-8 byte-order mark",
            "save as UTF-8 without BOM")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col_of_offset(data, exc.start)
        return Loaded(path=shown, problems=[Problem(
            shown, line, col, "TK004", f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the file as UTF-8")])
    if "\x00" in text:
        idx = text.index("\x00")
        line, col = _line_col_of_offset(data, len(text[:idx].encode()))
        return Loaded(path=shown, problems=[Problem(shown, line, col, "TK004", "file contains a NUL byte", None)])
    return load_text(text, shown)
