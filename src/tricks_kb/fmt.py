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
from .loader import load_text
from .schema import AppliesTo, Claim, Magnitude, Related, Setting, Source, Trick

QUOTED_FIELDS = ("arxiv", "doi")
# Problems that make a file unsafe to rewrite: it is not the plain YAML the loader accepts.
_UNSAFE_CODES = {"TK001", "TK002", "TK003", "TK004", "TK005", "TK006", "TK007", "TK012", "TK013"}
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
    y.width = 4096  # never re-wrap long lines
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_duplicate_keys = False
    return y


def _split_trailing_comments(node: Any) -> None:
    """Detach full-line comments stored after a key's value and attach them before the next key.

    ruamel keeps a comment line that sits between two keys on the *previous* key; after
    reordering it would travel with the wrong key. Moving it to the key below keeps it
    beside the key it describes.
    """
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(node, CommentedMap):
        return
    keys = list(node.keys())
    for k, nxt in zip(keys, keys[1:], strict=False):
        item = node.ca.items.get(k)
        if not item or len(item) < 3 or item[2] is None:
            continue
        tok = item[2]
        value = tok.value
        if "\n" not in value.rstrip("\n"):
            continue
        first, _, rest = value.partition("\n")
        rest_lines = [ln for ln in rest.split("\n") if ln.strip().startswith("#")]
        if not rest_lines:
            continue
        tok.value = first + "\n" if first.strip() else "\n"
        if not first.strip():
            item[2] = None
        _add_before(node, nxt, [ln.strip() for ln in rest_lines])


def _add_before(node: Any, key: str, lines: list[str]) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    item = node.ca.items.setdefault(key, [None, None, None, None])
    column = node.lc.key(key)[1] if key in node.lc.data else 0
    before = [CommentToken(ln + "\n", CommentMark(column), None) for ln in lines]
    item[1] = before + list(item[1] or [])


def _reorder(node: Any, order: list[str]) -> None:
    if not hasattr(node, "move_to_end"):
        return
    _split_trailing_comments(node)
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


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def format_text(text: str, path: str = "<text>") -> str:
    """Return the canonical form of one entry's YAML text; raise FormatError if it is unsafe to rewrite."""
    loaded = load_text(text, path)
    unsafe = [p for p in loaded.problems if p.code in _UNSAFE_CODES]
    if unsafe:
        p = unsafe[0]
        raise FormatError(f"{p.path}:{p.line}:{p.col}: {p.code} {p.message} (fix it before formatting)")
    y = _yaml()
    body = text
    if body.splitlines()[0].strip() == SCHEMA_COMMENT:
        body = body.split("\n", 1)[1] if "\n" in body else ""
    try:
        data = y.load(body)
    except Exception as exc:  # ruamel raises many error types; all mean "cannot rewrite"
        raise FormatError(f"{path}: cannot parse for formatting: {exc}") from None
    _walk(data, body.splitlines())
    buf = io.StringIO()
    y.dump(data, buf)
    out = buf.getvalue()
    out = re.sub(r"[ \t]+\n", "\n", out).rstrip("\n") + "\n"
    return SCHEMA_COMMENT + "\n" + out.lstrip("\n")


def format_file(path: Path, write: bool = True) -> FormatResult:
    """Format one file; write it back when it changed and ``write`` is true."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read: {exc}") from None
    if not text.strip():
        raise FormatError(f"{path}: file is empty")
    new = format_text(text, str(path))
    changed = new != text
    if changed and write:
        path.write_text(new, encoding="utf-8")
    return FormatResult(path=path, changed=changed, text=new)
