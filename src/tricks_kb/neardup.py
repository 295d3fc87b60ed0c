"""Near-duplicate guard for ``validate`` (advisory code TK101).

A new or changed entry (against git ``HEAD`` or ``--since REV``; every entry when the catalog
is not in git) is compared with every other entry in two ways:

* lexically, always: its id, name and aliases against the other entry's, by token overlap
  (Jaccard of normalized word sets) and by identical spelling once spaces, dashes and case are
  dropped ("Warm-up" vs "warmup");
* by meaning, when the committed search index is present and fresh for both entries: cosine
  similarity of their entry-passage vectors, read from the faiss file. No model is loaded, so
  torch is never imported; a new entry that is not indexed yet gets only the lexical check.

Thresholds were measured on the real catalog (docs/reliability.md, bench/neardup_threshold.py).
Entries that already name each other in ``related`` are known to be distinct and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .catalog import Entry, norm_label
from .diagnostics import Problem
from .gitrepo import GitError, run_git
from .lint import Rule

# Measured on the catalog; see docs/reliability.md ("Near-duplicate guard").
TOKEN_OVERLAP_THRESHOLD = 0.85
SPELLING_MIN_CHARS = 4
EMBEDDING_THRESHOLD = 0.85

_STOP = {"a", "an", "the", "of", "for", "and", "or", "to", "in", "on", "with", "by", "via", "training", "trick"}


@dataclass(frozen=True)
class Match:
    """Why two entries look alike: the method, the score and a human explanation."""

    other: str
    method: str
    score: float
    detail: str


@lru_cache(maxsize=65536)
def _tokens(label: str) -> frozenset[str]:
    words = norm_label(label).split()
    out = set()
    for w in words:
        if w in _STOP:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


@lru_cache(maxsize=65536)
def _compact(label: str) -> str:
    return "".join(norm_label(label).split())


def entry_labels(e: Entry) -> list[str]:
    t = e.trick
    if t is None:
        return []
    return [t.id.replace("-", " "), t.name, *t.aliases]


def lexical_score(a: str, b: str) -> tuple[float, str]:
    """Similarity of two labels in [0, 1] and which measure gave it ('tokens' or 'spelling').

    'spelling' is 1.0 when the labels differ only in spaces, dashes or punctuation
    ("warm-up" vs "warmup"); fuzzy spelling is not used: it confuses 'Adam' with 'RAdam'.
    """
    ta, tb = _tokens(a), _tokens(b)
    jac = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    ca, cb = _compact(a), _compact(b)
    if len(ca) >= SPELLING_MIN_CHARS and ca == cb:
        return 1.0, "spelling"
    return jac, "tokens"


def lexical_match(a: Entry, b: Entry) -> Match | None:
    """The closest pair of labels of two entries, if it crosses a lexical threshold."""
    best: Match | None = None
    for la in entry_labels(a):
        for lb in entry_labels(b):
            if norm_label(la) == norm_label(lb):
                continue  # identical labels are the blocking error TK022, not a warning
            score, how = lexical_score(la, lb)
            if score >= TOKEN_OVERLAP_THRESHOLD and (best is None or score > best.score):
                what = "token overlap" if how == "tokens" else "spelling similarity"
                best = Match(b.trick.id, how, score, f"'{la}' and '{lb}' ({what} {score:.2f})")
    return best


# --- which entries are new or changed ---------------------------------------------------


def changed_files(catalog_dir: Path, since: str | None = None) -> set[Path] | None:
    """Resolved paths of catalog files added or changed since ``since`` (default HEAD), untracked included.

    None means "not in git": every entry should be compared with every other. Raises ValueError
    for an unknown revision.
    """
    try:
        top = run_git(catalog_dir, "rev-parse", "--show-toplevel")
    except GitError:
        return None
    if top.returncode != 0:
        return None
    root = Path(top.stdout.strip())
    rev = since or "HEAD"
    if run_git(root, "rev-parse", "--verify", "--quiet", rev + "^{commit}").returncode != 0:
        if since is None:
            return None  # a repository without commits yet: everything is new
        raise ValueError(f"unknown revision '{since}'")
    rel = catalog_dir.resolve().relative_to(root.resolve()).as_posix()
    diff = run_git(root, "diff", "--name-only", "--no-renames", "--diff-filter=AM", rev, "--", rel)
    new = run_git(root, "ls-files", "--others", "--exclude-standard", "--", rel)
    names = diff.stdout.splitlines() + new.stdout.splitlines()
    return {(root / n).resolve() for n in names if n.endswith((".yaml", ".yml"))}


# --- embedding similarity from the committed index -------------------------------------


def _index_vectors(index_dir: Path, entries: list[Entry]) -> dict[str, object]:
    """Entry-passage vectors of entries whose indexed content hash is current (no model needed)."""
    from .index import IndexError_, read_manifest

    try:
        manifest = read_manifest(index_dir)
    except IndexError_:
        return {}
    from .passages import content_hash

    indexed = manifest.get("entries", {})
    fresh = {e.trick.id for e in entries if e.trick is not None
             and isinstance(indexed.get(e.trick.id), dict) and indexed[e.trick.id].get("hash") == content_hash(e.trick)}
    rows = {p.get("entry"): i for i, p in enumerate(manifest["passages"])
            if isinstance(p, dict) and p.get("kind") == "entry" and p.get("entry") in fresh}
    fpath = index_dir / str(manifest.get("files", {}).get("faiss", ""))
    if not rows or not fpath.is_file():
        return {}
    try:
        import faiss

        from .vectors import vectors_of

        vecs = vectors_of(faiss.read_index(str(fpath)))
    except Exception:  # noqa: BLE001 - a damaged index only disables the advisory check
        return {}
    return {tid: vecs[i] for tid, i in rows.items() if i < len(vecs)}


# --- the check --------------------------------------------------------------------------


def near_duplicates(entries: list[Entry], changed: set[Path] | None,
                    index_dir: Path | None = None) -> list[Problem]:
    """TK101 warnings for each changed entry (or every entry when ``changed`` is None)."""
    valid = [e for e in entries if e.trick is not None]
    if changed is None:
        targets = valid
    else:
        targets = [e for e in valid if _resolved(e) in changed]
    if not targets:
        return []
    vectors = _index_vectors(index_dir, valid) if index_dir is not None else {}
    problems: list[Problem] = []
    for a in targets:
        ta = a.trick
        if ta is None:
            continue
        linked = {r.id for r in ta.related}
        best: Match | None = None
        for b in valid:
            tb = b.trick
            if tb is None or b is a or tb.id == ta.id or tb.id in linked or ta.id in {r.id for r in tb.related}:
                continue
            m = lexical_match(a, b)
            va, vb = vectors.get(ta.id), vectors.get(tb.id)
            if va is not None and vb is not None:
                sim = float((va * vb).sum())
                if sim >= EMBEDDING_THRESHOLD and (m is None or sim > m.score):
                    m = Match(tb.id, "embedding", sim, f"text embedding similarity {sim:.2f}")
            if m is not None and (best is None or m.score > best.score):
                best = m
        if best is not None:
            other = next(e for e in valid if e.trick.id == best.other)
            problems.append(a.loaded.problem(
                ("name",), "TK101",
                f"'{ta.id}' is very close to '{best.other}' ({other.path}): {best.detail}",
                f"if it is the same trick, merge into '{best.other}'; if not, add "
                f"`related: [{{id: {best.other}, type: alternative-to, note: ...}}]` saying how they differ",
                key=False))
    return problems


def _resolved(e: Entry) -> Path:
    return Path(e.path).resolve()


NEAR_DUPLICATE = Rule("near-duplicate", "TK101", "catalog",
                      "A new or changed entry is not very close to another entry (advisory; reads the index).",
                      near_duplicates)
