"""Safe, strict YAML loading that keeps the line and column of every value.

Only plain data is accepted: mappings, sequences and the standard scalars. Duplicate keys,
anchors/aliases, explicit tags, byte-order marks, non-UTF-8 bytes and oversized files are
refused with a positioned :class:`~tricks_kb.diagnostics.Problem` instead of being silently
accepted the way ``yaml.safe_load`` would. So are plain values that YAML 1.1 and YAML 1.2 readers
read differently (``no``, ``010``, ``1:30``, ``1e-8``), control and bidi characters anywhere, and
invisible characters in ids, names and other labels. Files are read only when they are regular
files, and never past the size limit.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Problem, clip
from .hygiene import hidden_character, is_label_path

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
            _check_text(key, key_node, child, out, is_key=True)
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
    ambiguous = _yaml_version_problem(node, path, out.path)
    if ambiguous is not None:
        out.problems.append(ambiguous)
    if tag == _TAG + "str":
        _check_text(node.value, node, path, out)
        return node.value
    try:
        value = _constructor.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        if tag == _TAG + "timestamp":
            raise _Refused("TK028", f"'{node.value}' is not a real date ({exc})", node.start_mark,
                           "use an existing date as YYYY-MM-DD") from None
        raise _Refused("TK013", f"cannot read value '{node.value}': {exc}", node.start_mark, None) from None
    return value


# YAML 1.2 core schema forms; anything else a YAML 1.1 reader resolves differently.
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_CORE_BOOL = {"true", "True", "TRUE", "false", "False", "FALSE"}
_YAML11_BOOL = {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
                "y", "Y", "n", "N"}


def _yaml_version_problem(node: Any, path: PathKey, shown: str) -> Problem | None:
    """TK040 for a plain value that YAML 1.1 (PyYAML) and YAML 1.2 readers turn into different things."""
    if node.style:  # quoted or block scalar: text in every YAML version
        return None
    raw, tag = node.value, node.tag
    reading11: str | None = None
    reading12 = "the text"
    if tag == _TAG + "bool" and raw not in _CORE_BOOL or tag == _TAG + "str" and raw in _YAML11_BOOL:
        truth = raw.lower() in ("yes", "on", "y")
        reading11 = f"the boolean {str(truth).lower()}"
    elif tag == _TAG + "int" and not re.fullmatch(r"[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+", raw):
        value = _constructor.construct_object(node, deep=True)
        kind = ("the base-60 number" if ":" in raw else "the octal number" if re.fullmatch(r"[-+]?0[0-7_]+", raw)
                else "the binary number" if "0b" in raw else "the number")
        reading11 = f"{kind} {value}"
        if re.fullmatch(r"[-+]?[0-9]+", raw):
            reading12 = f"the number {int(raw)}"
    elif tag == _TAG + "float" and not _CORE_FLOAT.fullmatch(raw):
        reading11 = f"the {'base-60 ' if ':' in raw else ''}number {_constructor.construct_object(node, deep=True)}"
    elif tag == _TAG + "str" and (_CORE_INT.fullmatch(raw) or _CORE_FLOAT.fullmatch(raw)):
        reading11, reading12 = "the text", "a number"
    if reading11 is None:
        return None
    line, col = _pos(node.start_mark)
    field = next((str(p) for p in reversed(path) if isinstance(p, str)), "value")
    quote = f'{field}: "{clip(raw)}"'
    if "boolean" in reading11:
        hint = f"quote it if it is text: {quote}; write true or false for a yes/no value"
    else:
        hint = f"quote it if it is text: {quote}; {_number_advice(raw)}"
    return Problem(shown, line, col, "TK040",
                   f"'{clip(raw)}' at '{_dotted(path)}' is {reading11} in YAML 1.1 but {reading12} in YAML 1.2", hint)


def _number_advice(raw: str) -> str:
    exp = re.fullmatch(r"([-+]?)([0-9]+)(?:\.([0-9]*))?[eE]([-+]?)([0-9]+)", raw)
    if exp:
        sign, whole, frac, esign, power = exp.groups()
        return f"for the number write {sign}{whole}.{frac or '0'}e{esign or '+'}{power}, which every YAML reader agrees on"
    if re.fullmatch(r"[-+]?0[0-9]+", raw):
        return f"for the number write it without the leading zero: {int(raw)}"
    return "for a number write it in plain decimal digits"


def _dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def _check_text(text: str, node: Any, path: PathKey, out: Loaded, is_key: bool = False) -> None:
    """TK041 for control, bidi or (in labels) invisible characters; they reach terminals and pages."""
    found = hidden_character(text, label=is_label_path(path, is_key))
    if found is None:
        return
    index, name = found
    line, col = _pos(node.start_mark)
    if not node.style and "\n" not in text[:index]:
        col += index
    where = "a key" if is_key else f"'{_dotted(path)}'"
    out.problems.append(Problem(
        out.path, line, col, "TK041", f"hidden character {name} in {where}",
        "remove it (YAML escapes such as \\e, \\a and \\0 write raw control characters; "
        "copied text can carry invisible or direction-changing characters)"))


def _forbidden_tag(node: Any) -> _Refused:
    tag = node.tag or "?"
    shown = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
    return _Refused("TK006", f"YAML tag {shown} is not allowed", node.start_mark,
                    "entries are plain data: remove the tag")


class FileRefused(Exception):
    """A path that is not a regular file, or is larger than the limit; never read past the limit."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def file_kind(mode: int) -> str:
    """'a FIFO (named pipe)', 'a character device' ... for an st_mode."""
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    FIFOs, devices and sockets are refused without blocking (opened non-blocking, checked with
    fstat); the read stops at ``limit + 1`` bytes even if the file grows meanwhile.
    Raises :class:`FileRefused` (TK043 not a regular file, TK005 too large) or OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("TK043", f"it is {file_kind(info.st_mode)}, not a regular file",
                              "entries are plain files; remove it or replace it with a .yaml file")
        if info.st_size > limit:
            raise FileRefused("TK005", f"file is {info.st_size} bytes, above the {limit}-byte limit",
                              "an entry should be a few kilobytes; split notes out or trim long text")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileRefused("TK005", f"file is larger than the {limit}-byte limit (it grew while being read)",
                              "an entry should be a few kilobytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_file(path: Path | str, display: str | None = None) -> Loaded:
    """Read and parse one file, checking its type, size and encoding first."""
    shown = display or str(path)
    try:
        data = read_regular_file(path)
    except FileRefused as exc:
        return Loaded(path=shown, problems=[Problem(shown, 1, 1, exc.code, exc.message, exc.hint)])
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
