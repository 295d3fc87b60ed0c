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
import tomllib
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 512 * 1024
MAX_ITEMS = 20_000
FORMATS = ("json", "yaml", "toml", "python", "cli")



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
    """A read config: its format, its settings in file order, notes on what was read as text, and what was
    not read at all."""

    format: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # parts not read at all (a README's broken config block)
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
_YAML_LINE = re.compile(r"(?m)^\s*(?:- )?[\w.\-\"']+:(?:\s|$)")


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
    if stripped.startswith("#!") and "python" in stripped.split("\n", 1)[0] and ext in ("py", "") \
            and _parses_python(text):
        return "python"  # a Python config with a shebang (YOLOX exps), not a shell script
    if stripped.startswith("#!") or (_CLI_HINT.search(text) and re.search(
            r"(?m)^\s*(python3?|torchrun|accelerate|deepspeed|bash|sh|srun|\./\S+\.sh|\S+\.py)\b", text)):
        return "cli"
    # TOML with table headers first (before the Python check); a looser TOML test after it
    if (ext == "toml" or (ext != "py" and _TOML_TABLE.search(text) and _TOML_KV.search(text))) and _is_toml(text, ext):
        return "toml"
    py_lines = len(_PY_ASSIGN.findall(text))
    yaml_lines = len(_YAML_LINE.findall(text))
    if (ext == "py" or (py_lines and py_lines >= yaml_lines)) and _parses_python(text):
        return "python"
    if (ext == "toml" or (_TOML_KV.search(text) and (_TOML_TABLE.search(text) or not _YAML_KEY.search(text)))) \
            and _is_toml(text, ext):
        return "toml"
    if ext in ("yaml", "yml", "json") or _YAML_KEY.search(text):
        return "yaml" if ext != "json" else "json"
    if _CLI_HINT.search(text):
        return "cli"
    raise ReadError("RC001", "unknown config format: not JSON, YAML, TOML, a Python config or a command line",
                    "pass a .json, .yaml, .toml or .py config, or a shell script with --flag value pairs")


def _is_toml(text: str, ext: str) -> bool:
    """Parses as TOML, or is named .toml (its syntax error is then reported by the TOML reader)."""
    try:
        tomllib.loads(text)
        return True
    except tomllib.TOMLDecodeError:
        return ext == "toml"


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
    from .read_cli import read_cli
    from .read_python import read_python
    from .read_yaml import read_json, read_toml, read_yaml

    reader = {"json": read_json, "yaml": read_yaml, "toml": read_toml, "python": read_python, "cli": read_cli}[fmt]
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
