"""``tricks-kb fmt``: rewrite entries in canonical form, keeping every comment.

Canonical form: keys in the field order of the pydantic models (``schema.TOP_LEVEL_ORDER`` and the
nested models; unknown keys keep their place at the end so ``validate`` can still report them),
two-space mapping indentation with list items indented under their key, arXiv ids and DOIs
double-quoted, the schema comment on line 1 and exactly one newline at the end. The YAML is
round-tripped with ruamel.yaml, so comments and the author's folded or quoted scalars survive,
and formatting twice changes nothing the second time.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .catalog import SCHEMA_COMMENT
from .loader import FileRefused, load_text, read_regular_file
from .output import OutputError, write_file
from .schema import AppliesTo, Claim, Magnitude, Related, Setting, Source, Trick

QUOTED_FIELDS = ("arxiv", "doi")
WIDTH = 100  # plain, quoted and folded (>-) scalars are re-wrapped at this column; literal (|) keep their lines
# Problems that make a file unsafe to rewrite: it is not the plain YAML the loader accepts.
_UNSAFE_CODES = {"TK001", "TK002", "TK003", "TK004", "TK005", "TK006", "TK007", "TK012", "TK013", "TK040", "TK041",
                 "TK042", "TK043"}
_BARE_TOKEN = re.compile(r"[^\s#,\]}]+")


class FormatError(ValueError):
    """The file cannot be formatted safely (it is not plain, loadable YAML)."""


@dataclass
class FormatResult:
    """Outcome for one file: its path, whether it changed, and the new text."""

    path: Path
    changed: bool
    text: str


def _order(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = WIDTH
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_duplicate_keys = False
    return y


def _reorder(node: Any, order: list[str]) -> None:
    if not hasattr(node, "move_to_end"):
        return
    present = list(node.keys())
    wanted = [k for k in order if k in node] + [k for k in present if k not in order]
    if wanted == present:
        return
    for k in wanted:
        node.move_to_end(k)


def _quote_identifiers(node: Any, text_lines: list[str]) -> None:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    for field in QUOTED_FIELDS:
        if field not in node:
            continue
        value = node[field]
        if isinstance(value, str):
            node[field] = DoubleQuotedScalarString(str(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # Recover the digits as written: YAML already turned 1603.06560 into 1603.0656.
            line, col = node.lc.value(field)
            m = _BARE_TOKEN.match(text_lines[line][col:]) if line < len(text_lines) else None
            node[field] = DoubleQuotedScalarString(m.group(0) if m else str(value))


def _walk(data: Any, text_lines: list[str]) -> None:
    """Put every mapping of an entry in model order and quote identifiers."""
    if not hasattr(data, "move_to_end"):
        return
    _reorder(data, _order(Trick))
    applies = data.get("applies_to")
    _reorder(applies, _order(AppliesTo))
    for claim in _items(data.get("claims")):
        _reorder(claim, _order(Claim))
        if hasattr(claim, "get"):
            _reorder(claim.get("magnitude"), _order(Magnitude))
            _reorder(claim.get("setting"), _order(Setting))
    sources = data.get("sources")
    if hasattr(sources, "values"):
        for src in sources.values():
            _reorder(src, _order(Source))
            if hasattr(src, "move_to_end"):
                _quote_identifiers(src, text_lines)
    for rel in _items(data.get("related")):
        _reorder(rel, _order(Related))
    _refold(data)


def _refold(node: Any) -> None:
    """Drop the author's fold points in folded (>-) scalars so they are re-folded at WIDTH."""
    from ruamel.yaml.scalarstring import FoldedScalarString

    if hasattr(node, "items") and hasattr(node, "move_to_end"):
        for key, value in list(node.items()):
            if isinstance(value, FoldedScalarString):
                node[key] = FoldedScalarString(str(value))
            else:
                _refold(value)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, FoldedScalarString):
                node[i] = FoldedScalarString(str(value))
            else:
                _refold(value)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _scalar_lines(text: str) -> set[int]:
    """0-based lines that lie inside a multi-line scalar (a '#' there is content, not a comment)."""
    import yaml

    inside: set[int] = set()
    for tok in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(tok, yaml.ScalarToken):
            a, b = tok.start_mark, tok.end_mark
            last = b.line if b.column > 0 else b.line - 1
            inside.update(range(a.line + 1, last + 1))
    return inside


def _split_comment_lines(text: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """Remove full-line comments and blank lines; return the rest and each block with the line it preceded.

    The line number is the 0-based line, in the returned text, of the content that followed the block
    (or the number of lines when the block ends the file).
    """
    inside = _scalar_lines(text)
    kept: list[str] = []
    blocks: list[tuple[int, list[str]]] = []
    pending: list[str] = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if i not in inside and (not stripped or stripped.startswith("#")):
            if stripped or (pending and pending[-1]):  # collapse runs of blank lines
                pending.append(stripped)
            continue
        if pending:
            blocks.append((len(kept), pending))
            pending = []
        kept.append(line)
    pending = [ln for ln in pending if ln]
    if pending:
        blocks.append((len(kept), pending))
    return "\n".join(kept), blocks


def _paths_by_line(node: Any, prefix: tuple = (), out: dict | None = None, by_path: bool = False) -> dict:
    """Map each line to the shallowest key path starting on it (or each path to its line)."""
    out = {} if out is None else out
    if hasattr(node, "lc") and isinstance(node, dict):
        for k, v in node.items():
            line = node.lc.key(k)[0]
            _record(out, prefix + (k,), line, by_path)
            _paths_by_line(v, prefix + (k,), out, by_path)
    elif hasattr(node, "lc") and isinstance(node, list):
        for i, v in enumerate(node):
            line = node.lc.item(i)[0]
            _record(out, prefix + (i,), line, by_path)
            _paths_by_line(v, prefix + (i,), out, by_path)
    return out


def _record(out: dict, path: tuple, line: int, by_path: bool) -> None:
    if by_path:
        out[path] = line
    else:
        out.setdefault(line, path)


def _dump(y: Any, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return re.sub(r"[ \t]+\n", "\n", buf.getvalue())


def format_text(text: str, path: str = "<text>") -> str:
    """Return the canonical form of one entry's YAML text; raise FormatError if it is unsafe to rewrite."""
    loaded = load_text(text, path)
    unsafe = [p for p in loaded.problems if p.code in _UNSAFE_CODES]
    if unsafe:
        p = unsafe[0]
        raise FormatError(f"{p.path}:{p.line}:{p.col}: {p.code} {p.message} (fix it before formatting)")
    lines = text.split("\n")
    if lines and lines[0].strip() == SCHEMA_COMMENT:
        lines = lines[1:]
    body, blocks = _split_comment_lines("\n".join(lines))
    y = _yaml()
    try:
        data = y.load(body)
    except Exception as exc:  # ruamel raises many error types; all mean "cannot rewrite"
        raise FormatError(f"{path}: cannot parse for formatting: {exc}") from None
    if not hasattr(data, "move_to_end"):
        raise FormatError(f"{path}: top level is not a mapping")
    before = _paths_by_line(data)
    # A block above the first key is the file's head comment: it stays on top.
    anchored = [(() if line == 0 else before.get(line), block) for line, block in blocks]
    _walk(data, body.split("\n"))
    out_lines = _dump(y, data).rstrip("\n").split("\n")
    after = _paths_by_line(y.load("\n".join(out_lines)), by_path=True)
    inserts: dict[int, list[str]] = {}
    for anchor, block in anchored:
        at = 0 if anchor == () else after.get(anchor, len(out_lines)) if anchor is not None else len(out_lines)
        inserts.setdefault(at, []).extend(block)
    result: list[str] = [SCHEMA_COMMENT]
    for i in range(len(out_lines) + 1):
        if i in inserts:
            target = out_lines[i] if i < len(out_lines) else ""
            indent = len(target) - len(target.lstrip(" "))
            block = inserts[i]
            while block and not block[-1] and i == len(out_lines):
                block = block[:-1]
            result.extend((" " * indent + c) if c else "" for c in block)
        if i < len(out_lines):
            result.append(out_lines[i])
    while len(result) > 1 and result[1] == "":
        del result[1]
    return "\n".join(result).rstrip("\n") + "\n"


def format_file(path: Path, write: bool = True) -> FormatResult:
    """Format one file; write it back when it changed and ``write`` is true."""
    try:
        text = read_regular_file(path).decode("utf-8")
    except FileRefused as exc:
        raise FormatError(f"{path}: {exc.message}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read: {exc}") from None
    if not text.strip():
        raise FormatError(f"{path}: file is empty")
    new = format_text(text, str(path))
    changed = new != text
    if changed and write:
        try:
            write_file(path, new)
        except OutputError as exc:
            raise FormatError(str(exc)) from None
    return FormatResult(path=path, changed=changed, text=new)
