"""The catalog: find and load entry files, model-check them, and find a trick by id, name or alias."""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .diagnostics import Problem, clip
from .hygiene import fold
from .lint_schema import problems_from_validation
from .loader import Loaded, file_kind, load_file
from .schema import Trick
from .settings import catalog_dir

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/trick.schema.json"


def norm_label(text: str) -> str:
    """A name, alias or title as compared: case, punctuation and look-alike letters folded.

    'Warm-up' == 'warm up'; a Cyrillic 'е' equals the Latin 'e' (TR39 skeleton, see hygiene.py);
    names in any script are kept, so they are compared too.
    """
    return fold(text)


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


def close_ids(wanted: str, tricks: dict[str, Trick], n: int = 5) -> list[str]:
    """Ids of tricks whose id, name or alias is close to ``wanted`` (for an unknown ``?trick=``)."""
    wanted = wanted.strip().casefold()[:200]
    if not wanted:
        return []
    labels: dict[str, str] = {}
    for t in tricks.values():
        for label in (t.id, t.name, *t.aliases):
            labels.setdefault(label.casefold(), t.id)
    out: list[str] = []
    for label in difflib.get_close_matches(wanted, list(labels), n=n * 3, cutoff=0.5):
        if labels[label] not in out:
            out.append(labels[label])
    for label, tid in labels.items():  # substring matches: "warmup" -> "lr-warmup"
        if len(wanted) >= 3 and wanted in label and tid not in out:
            out.append(tid)
    return out[:n]


def resolve_id(wanted: str, tricks: dict[str, Trick]) -> str | None:
    """The id for ``wanted`` when it is an id, a name or an alias (case-insensitive)."""
    if wanted in tricks:
        return wanted
    w = wanted.strip().casefold()
    for t in tricks.values():
        if w in (x.casefold() for x in (t.id, t.name, *t.aliases)):
            return t.id
    return None


def discover(paths: list[Path] | None = None, root: Path | None = None) -> list[Path]:
    """Expand folders to the files they hold; default is the catalog folder.

    The catalog folder ``root`` (every folder when ``root`` is None) yields everything in it, so that
    ``load_entry`` accepts or flags each file; other folders yield their YAML-looking files
    (any case of .yaml or .yml), leaving notes and fixtures' tables alone.
    """
    if not paths:
        paths = [root or catalog_dir()]
    strict_dir = root.resolve() if root is not None else None
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
