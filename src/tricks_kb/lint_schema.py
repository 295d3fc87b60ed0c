"""Lint's model check: pydantic validation errors mapped to positioned problems with TK codes and hints."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from .diagnostics import Problem, clip
from .loader import Loaded

IDENTIFIER_FIELDS = {"arxiv", "doi", "batch_size"}


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping", list: "a list", str: "text", int: "an integer", float: "a number",
        bool: "true/false", type(None): "nothing (empty value)",
    }.get(type(value), type(value).__name__)


_EXPECTED = {
    "string_type": "text", "int_type": "an integer", "float_type": "a number", "bool_type": "true/false",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "date_type": "a date YYYY-MM-DD", "int_from_float": "an integer", "date_from_datetime_inexact": "a date",
}


def _model_fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Known field names of the model that owns ``loc`` (for 'did you mean' hints)."""
    from . import schema

    model: Any = schema.Trick
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        f = getattr(model, "model_fields", {}).get(part)
        if f is None:
            return []
        ann = f.annotation
        for cand in (ann, *getattr(ann, "__args__", ())):
            for inner in (cand, *getattr(cand, "__args__", ())):
                if isinstance(inner, type) and hasattr(inner, "model_fields"):
                    model = inner
                    break
    return list(getattr(model, "model_fields", {}))


def problems_from_validation(exc: ValidationError, loaded: Loaded) -> list[Problem]:
    """Turn pydantic errors into positioned problems with codes and hints."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # Drop pydantic's synthetic loc parts for union members / dict keys.
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        typ = err["type"]
        where = _dotted(loc)
        field_name = next((p for p in reversed(loc) if isinstance(p, str)), "")
        value = err.get("input")
        raw = loaded.raw.get(loc)
        if typ == "missing":
            out.append(loaded.problem(loc[:-1], "TK011", f"missing required field '{where}'",
                                      f"add `{loc[-1]}:`; see CONTRIBUTING.md for what it holds", key=False))
        elif typ == "extra_forbidden":
            known = _model_fields_at(loc)
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else (f"allowed here: {', '.join(known)}" if known else None)
            out.append(loaded.problem(loc, "TK010", f"unknown field '{where}'", hint))
        elif field_name in IDENTIFIER_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = raw if raw is not None else str(value)
            out.append(loaded.problem(loc, "TK014",
                                      f"'{where}' is the bare number {shown}: YAML reads it as {value!r}",
                                      f'quote it: {field_name}: "{shown}"', key=False))
        elif typ in _EXPECTED or typ.endswith("_type"):
            expected = _EXPECTED.get(typ, typ.removesuffix("_type"))
            out.append(loaded.problem(loc, "TK012",
                                      f"'{where}' must be {expected}, got {_type_name(value)}"
                                      + (f" ({clip(raw)!r} as written)" if raw is not None and not isinstance(value, str) else ""),
                                      _type_hint(expected, value, raw, field_name), key=False))
        elif typ == "string_pattern_mismatch" and field_name in ("arxiv", "doi"):
            example = '"2106.09685" (new style) or "cs/0601001" (old style)' if field_name == "arxiv" else '"10.1109/CVPR.2016.90"'
            out.append(loaded.problem(loc, "TK027", f"malformed {field_name} id '{clip(value)}' at '{where}'",
                                      f"expected e.g. {example}, without a URL prefix", key=False))
        elif typ in ("date_from_datetime_parsing", "date_parsing", "date_from_datetime_inexact"):
            out.append(loaded.problem(loc, "TK028", f"'{where}' is not a valid date: {clip(raw if raw is not None else value)!r}",
                                      "use YYYY-MM-DD", key=False))
        else:
            msg = err["msg"]
            hint = None
            if typ == "string_pattern_mismatch" and field_name in ("id",) or (loc and loc[0] == "related" and field_name == "id"):
                hint = "ids are kebab-case: lowercase letters, digits and single dashes, e.g. 'label-smoothing'"
            elif typ == "string_pattern_mismatch" and "sources" in loc:
                hint = "source keys look like 'loshchilov2019': lowercase, start with a letter"
            elif typ in ("enum", "literal_error"):
                exp = err.get("ctx", {}).get("expected")
                close = None
                if exp and isinstance(value, str):
                    opts = [o.strip().strip("'") for o in exp.replace(" or ", ", ").split(",")]
                    m = difflib.get_close_matches(value, opts, n=1)
                    close = m[0] if m else None
                hint = f"did you mean '{close}'?" if close else None
            elif typ in ("too_short",) and isinstance(value, (list, dict)):
                hint = "add at least one item"
            shown_value = "" if isinstance(value, (dict, list)) else f" (got {clip(raw if raw is not None else value)!r})"
            out.append(loaded.problem(loc, "TK013", f"'{where}': {msg}{shown_value}", hint, key=False))
    return out


def _type_hint(expected: str, value: Any, raw: str | None = None, field_name: str = "") -> str | None:
    """How to fix a wrong type; values are quoted as written in the file, never as YAML read them."""
    written = clip(raw if raw is not None else value)
    if expected == "text" and isinstance(value, list):
        return "write one value, or join the items into one sentence"
    if expected == "a list" and isinstance(value, str):
        return f"write it as a list: [{written}]"
    if expected == "text" and value is not None and not isinstance(value, (str, list, dict)):
        return f'quote it: {field_name + ": " if field_name else ""}"{written}"'
    if expected == "text" and value is None:
        return "fill in a value or remove the key"
    if expected in ("an integer", "a number") and isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return "write a number, e.g. 3"
        return f"remove the quotes: {clip(value.strip())}"
    return None
