"""``tricks-kb changes --since REV``: what changed in the catalog since a git revision.

Entries are compared by file name (``tricks/<id>.yaml``) between ``REV`` and the working tree
(or a second revision). Old contents are read with ``git show REV:path`` and parsed with the
project's strict loader and models, so a changelog is built from the same data ``validate`` sees.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .gitrepo import GitError, git_output
from .loader import load_text
from .schema import Trick


class ChangesError(RuntimeError):
    """git is missing, the folder is not a repository, or the revision is unknown."""


@dataclass
class Side:
    """One version of an entry: its name and verdict when it parses, else why it does not."""

    name: str | None = None
    verdict: str | None = None
    data: dict[str, Any] | None = None
    invalid: str | None = None
    verdict_reason: str | None = None


@dataclass
class Change:
    """How one entry changed: added, removed or changed, with the fields that differ."""

    id: str
    status: str
    name: str | None = None
    fields: list[str] = field(default_factory=list)
    verdict_from: str | None = None
    verdict_to: str | None = None
    why: str | None = None  # the new verdict_reason, reported when the verdict moved

    @property
    def verdict_moved(self) -> bool:
        return self.verdict_from != self.verdict_to and None not in (self.verdict_from, self.verdict_to)


def _git(root: Path, *args: str) -> str:
    try:
        return git_output(root, *args)
    except GitError as exc:
        raise ChangesError(str(exc)) from None


def git_toplevel(folder: Path) -> Path:
    """The root of the git work tree containing ``folder``; ChangesError if there is none."""
    if not folder.is_dir():
        raise ChangesError(f"no such folder: {folder}")
    try:
        return Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    except ChangesError:
        raise ChangesError(f"{folder} is not inside a git repository") from None


def resolve_rev(root: Path, rev: str) -> str:
    """Full commit id of ``rev``; ChangesError with a clear message when it does not exist."""
    if rev.startswith("-"):
        raise ChangesError(f"'{rev}' is not a revision")
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", rev + "^{commit}").strip()
    except ChangesError:
        raise ChangesError(f"unknown revision '{rev}' (try a commit id, tag, or HEAD~3)") from None


def _parse(text: str, path: str) -> Side:
    loaded = load_text(text, path)
    if loaded.problems or not isinstance(loaded.data, dict):
        p = loaded.problems[0] if loaded.problems else None
        return Side(invalid=f"{p.code} {p.message}" if p else "not a mapping")
    raw_name = loaded.data.get("name")
    raw_verdict = loaded.data.get("verdict")
    try:
        t = Trick.model_validate(loaded.data)
    except ValidationError as exc:
        return Side(name=raw_name if isinstance(raw_name, str) else None,
                    verdict=raw_verdict if isinstance(raw_verdict, str) else None,
                    data=loaded.data, invalid=f"{exc.error_count()} schema error(s)")
    return Side(name=t.name, verdict=t.verdict.value, data=t.model_dump(mode="json"),
                verdict_reason=" ".join(t.verdict_reason.split()))


def _files_at(root: Path, rev: str, rel: str) -> dict[str, str]:
    out = _git(root, "ls-tree", "-r", "--name-only", rev, "--", rel)
    return {Path(p).stem: p for p in out.splitlines() if p.endswith((".yaml", ".yml"))}


def _read_at(root: Path, rev: str, path: str) -> str:
    return _git(root, "show", f"{rev}:{path}")


def _changed_fields(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    if old is None or new is None:
        return []
    return [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]


def compute_changes(catalog_dir: Path, since: str, until: str | None = None) -> list[Change]:
    """Entries added, removed and changed in ``catalog_dir`` between ``since`` and ``until``
    (default: the working tree), sorted by status then id."""
    root = git_toplevel(catalog_dir)
    base = resolve_rev(root, since)
    rel = catalog_dir.resolve().relative_to(root.resolve()).as_posix()
    old_files = _files_at(root, base, rel)
    if until:
        head = resolve_rev(root, until)
        new_files = _files_at(root, head, rel)

        def read_new(stem: str) -> str:
            return _read_at(root, head, new_files[stem])
    else:
        new_files = {p.stem: str(p) for p in sorted(catalog_dir.iterdir())
                     if p.suffix in (".yaml", ".yml") and p.is_file()}

        def read_new(stem: str) -> str:
            return Path(new_files[stem]).read_text(encoding="utf-8", errors="replace")

    changes: list[Change] = []
    for stem in sorted(set(old_files) | set(new_files)):
        old_text = _read_at(root, base, old_files[stem]) if stem in old_files else None
        new_text = read_new(stem) if stem in new_files else None
        if old_text == new_text:
            continue
        old = _parse(old_text, old_files[stem]) if old_text is not None else None
        new = _parse(new_text, new_files[stem]) if new_text is not None else None
        if old is None and new is not None:
            changes.append(Change(stem, "added", new.name, verdict_to=new.verdict))
        elif new is None and old is not None:
            changes.append(Change(stem, "removed", old.name, verdict_from=old.verdict))
        elif old is not None and new is not None:
            fields = _changed_fields(old.data, new.data)
            if new.invalid and not old.invalid:
                fields = [f"now invalid: {new.invalid}", *fields]
            if not fields and not new.invalid:
                continue  # only comments or layout changed
            change = Change(stem, "changed", new.name or old.name, fields or ["(layout or comments)"],
                            old.verdict, new.verdict)
            if change.verdict_moved:
                change.why = new.verdict_reason
            changes.append(change)
    order = {"added": 0, "changed": 1, "removed": 2}
    return sorted(changes, key=lambda c: (order[c.status], c.id))


def render_text(changes: list[Change], since: str) -> str:
    """One line per entry, verdict moves marked with an arrow, then a summary."""
    lines = []
    for c in changes:
        mark = {"added": "A", "removed": "D", "changed": "M"}[c.status]
        line = f"{mark} {c.id}"
        if c.status == "changed" and c.fields:
            line += f"  ({', '.join(c.fields)})"
        if c.verdict_moved:
            line += f"  verdict: {c.verdict_from} -> {c.verdict_to}"
            if c.why:
                line += f"\n    why: {c.why}"
        elif c.status == "added" and c.verdict_to:
            line += f"  verdict: {c.verdict_to}"
        lines.append(line)
    lines.append(_summary(changes, since))
    return "\n".join(lines)


def _summary(changes: list[Change], since: str) -> str:
    n = {s: sum(c.status == s for c in changes) for s in ("added", "changed", "removed")}
    moved = sum(c.verdict_moved for c in changes)
    return (f"since {since}: {n['added']} added, {n['changed']} changed, {n['removed']} removed, "
            f"{moved} verdict(s) moved")


def render_json(changes: list[Change], since: str) -> str:
    """Machine-readable list of changes and the counts."""
    items = []
    for c in changes:
        d = asdict(c)
        d["verdict_moved"] = c.verdict_moved
        items.append(d)
    return json.dumps({"since": since, "summary": _summary(changes, since), "changes": items}, indent=2)


def render_markdown(changes: list[Change], since: str) -> str:
    """A changelog section: added, verdict changes, updated and removed entries."""
    out = [f"## Catalog changes since {since}", ""]

    def section(title: str, rows: list[str]) -> None:
        if rows:
            out.extend([f"### {title}", "", *rows, ""])

    section("Added", [f"- **{c.name or c.id}** (`{c.id}`), verdict *{c.verdict_to or 'invalid'}*"
                      for c in changes if c.status == "added"])
    section("Verdicts changed", [f"- **{c.name or c.id}** (`{c.id}`): *{c.verdict_from}* → *{c.verdict_to}*"
                                 + (f". Why: {c.why}" if c.why else "")
                                 for c in changes if c.verdict_moved])
    section("Updated", [f"- **{c.name or c.id}** (`{c.id}`): {', '.join(c.fields)}"
                        for c in changes if c.status == "changed"])
    section("Removed", [f"- `{c.id}`" + (f" ({c.name})" if c.name else "") for c in changes if c.status == "removed"])
    if len(out) == 2:
        out.extend(["No catalog changes.", ""])
    out.append(f"_{_summary(changes, since)}_")
    return "\n".join(out) + "\n"
