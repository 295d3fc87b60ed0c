"""Find, load and model-check catalog entries; map pydantic errors to positioned problems."""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .diagnostics import Problem, clip
from .hygiene import fold
from .loader import Loaded, file_kind, load_file
from .schema import Trick

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/trick.schema.json"
IDENTIFIER_FIELDS = {"arxiv", "doi", "batch_size"}


def norm_label(text: str) -> str:
    """A name, alias or title as compared: case, punctuation and look-alike letters folded.

    'Warm-up' == 'warm up'; a Cyrillic 'е' equals the Latin 'e' (TR39 skeleton, see hygiene.py);
    names in any script are kept, so they are compared too.
    """
    return fold(text)


def repo_root() -> Path:
    """The project folder: $TRICKS_KB_HOME, else the checkout this package lives in, else the cwd."""
    env = os.environ.get("TRICKS_KB_HOME")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2]
    if (here / "tricks").is_dir():
        return here
    return Path.cwd()


def default_catalog_dir() -> Path:
    """Folder of the catalog: $TRICKS_KB_CATALOG or <repo>/tricks."""
    env = os.environ.get("TRICKS_KB_CATALOG")
    return Path(env) if env else repo_root() / "tricks"


@dataclass
class Entry:
    """One catalog file: the parsed YAML, the validated model (None if invalid) and its problems."""

    path: str
    loaded: Loaded
    trick: Trick | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def file_id(self) -> str:
        return Path(self.path).name.removesuffix(".yaml").removesuffix(".yml")


@dataclass
class Catalog:
    """All loaded entries, in file-name order."""

    entries: list[Entry]

    @property
    def tricks(self) -> dict[str, Trick]:
        """Valid entries by id (the first file wins if an id is duplicated)."""
        out: dict[str, Trick] = {}
        for e in self.entries:
            if e.trick is not None and e.trick.id not in out:
                out[e.trick.id] = e.trick
        return out

    @property
    def problems(self) -> list[Problem]:
        return [p for e in self.entries for p in e.problems]


def discover(paths: list[Path] | None = None, catalog_dir: Path | None = None) -> list[Path]:
    """Expand folders to the files they hold; default is the catalog folder.

    The catalog folder (every folder when ``catalog_dir`` is None) yields everything in it, so that
    ``load_entry`` accepts or flags each file; other folders yield their YAML-looking files
    (any case of .yaml or .yml), leaving notes and fixtures' tables alone.
    """
    if not paths:
        paths = [catalog_dir or default_catalog_dir()]
    strict_dir = catalog_dir.resolve() if catalog_dir is not None else None
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            strict = strict_dir is None or p.resolve() == strict_dir
            found.extend(sorted(q for q in p.iterdir() if strict or q.suffix.lower() in (".yaml", ".yml")))
        else:
            found.append(p)
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def display_path(p: Path) -> str:
    """Path as shown in messages: relative to the cwd when possible (a symlink is shown as itself)."""
    absolute = Path(os.path.abspath(p))
    try:
        return str(absolute.relative_to(Path(os.path.abspath(Path.cwd()))))
    except ValueError:
        return str(p)


def file_problem(path: Path, shown: str) -> Problem | None:
    """TK042/TK043 for a path that is not a readable entry file; None when it may be loaded."""
    if path.is_symlink():
        target, folder = path.resolve(), path.parent.resolve()
        if not target.is_relative_to(folder):
            return Problem(shown, 1, 1, "TK043", f"symlink pointing outside its folder (to {clip(target, 120)})",
                           "copy the entry into the catalog instead of linking to it; the target is not read")
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = stat.S_IFREG  # missing or unreadable: the loader reports why
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return Problem(shown, 1, 1, "TK043", f"it is {file_kind(mode)}, not a regular file",
                       "entries are plain files; remove it or replace it with a .yaml file")
    if path.is_dir():
        return Problem(shown, 1, 1, "TK042", "a folder inside the catalog folder; entries are files",
                       "move it out of the catalog folder")
    if path.suffix != ".yaml":
        hint = (f"rename it to {path.stem}.yaml" if path.suffix.lower() in (".yaml", ".yml")
                else "entries are <id>.yaml files; move other files out of the catalog folder")
        return Problem(shown, 1, 1, "TK042", f"'{clip(path.name)}' is not an entry file: its name does not end in .yaml", hint)
    return None


def load_entry(path: Path) -> Entry:
    """Load one file and validate it against the entry model."""
    shown = display_path(path)
    refused = file_problem(path, shown)
    if refused is not None:
        return Entry(path=shown, loaded=Loaded(path=shown, problems=[refused]), problems=[refused])
    loaded = load_file(path, shown)
    entry = Entry(path=shown, loaded=loaded, problems=list(loaded.problems))
    if loaded.problems or not isinstance(loaded.data, dict):
        return entry
    try:
        entry.trick = Trick.model_validate(loaded.data)
    except ValidationError as exc:
        entry.problems.extend(problems_from_validation(exc, loaded))
    return entry


def load_catalog(paths: list[Path] | None = None) -> Catalog:
    """Load every file under ``paths`` (default: the catalog folder)."""
    return Catalog([load_entry(p) for p in discover(paths)])


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
