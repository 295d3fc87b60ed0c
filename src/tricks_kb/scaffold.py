"""``tricks-kb new ID``: write a valid, annotated stub for a new entry from the annotated template in
CONTRIBUTING.md (the one template: the guide shows exactly what the command writes)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from . import settings
from .catalog import load_catalog, norm_label
from .diagnostics import clip
from .output import write_file
from .schema import ID_PATTERN

TEMPLATE_HEADING = "## Annotated template"
PLACEHOLDERS = ("{id}", "{name}", "{year}", "{today}")


class ScaffoldError(ValueError):
    """The id is malformed or already taken."""


def template(guide: Path | None = None) -> str:
    """The annotated template: the first YAML block under CONTRIBUTING.md's "Annotated template" heading."""
    guide = guide or settings.repo_root() / "CONTRIBUTING.md"
    try:
        text = guide.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScaffoldError(f"cannot read the annotated template in {guide}: {exc.strerror or exc}") from None
    m = re.search(rf"^{re.escape(TEMPLATE_HEADING)}\n.*?^```yaml\n(.*?)^```", text, flags=re.M | re.S)
    if m is None:
        raise ScaffoldError(f"{guide} has no YAML block under '{TEMPLATE_HEADING}'")
    return m.group(1)


def stub_text(trick_id: str, name: str, today: dt.date, guide: Path | None = None) -> str:
    """The template with its placeholders filled."""
    text = template(guide)
    for key, value in zip(PLACEHOLDERS, (trick_id, name, str(today.year), today.isoformat()), strict=True):
        text = text.replace(key, value)
    return text


def new_entry(trick_id: str, catalog_dir: Path, today: dt.date | None = None) -> Path:
    """Write ``catalog_dir/<id>.yaml`` from the template; refuse a bad, existing or aliased id."""
    if not re.fullmatch(ID_PATTERN, trick_id) or len(trick_id) < 2:
        raise ScaffoldError(f"'{clip(trick_id)}' is not a kebab-case id (e.g. 'label-smoothing')")
    target = catalog_dir / f"{trick_id}.yaml"
    if target.exists():
        raise ScaffoldError(f"{target} already exists: edit it instead")
    if catalog_dir.is_dir():
        wanted = norm_label(trick_id)
        for t in load_catalog([catalog_dir]).tricks.values():
            if any(norm_label(x) == wanted for x in (t.id, t.name, *t.aliases)):
                raise ScaffoldError(f"'{trick_id}' is already covered by '{t.id}' (id, name or alias)")
    today = today or dt.date.today()
    name = trick_id.replace("-", " ").capitalize()
    target.parent.mkdir(parents=True, exist_ok=True)
    text = stub_text(trick_id, name, today)
    write_file(target, text)
    return target
