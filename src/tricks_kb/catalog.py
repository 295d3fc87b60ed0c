"""The catalog: find and load entry files, model-check them, and find a trick by id, name or alias."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .diagnostics import Problem
from .lint_schema import problems_from_validation
from .loader import Loaded, load_file
from .schema import Trick
from .settings import catalog_dir

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/trick.schema.json"


def norm_label(text: str) -> str:
    """A name, alias or title compared ignoring case, spaces and punctuation ('Warm-up' == 'warm up')."""
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


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


def discover(paths: list[Path] | None = None) -> list[Path]:
    """Expand folders to their *.yaml files; default is the catalog folder."""
    if not paths:
        paths = [catalog_dir()]
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file()))
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
    """Path as shown in messages: relative to the cwd when possible."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def load_entry(path: Path) -> Entry:
    """Load one file and validate it against the entry model."""
    shown = display_path(path)
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
