"""``tricks-kb new ID``: write a valid, annotated stub for a new entry."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .catalog import SCHEMA_COMMENT, load_catalog, norm_label
from .diagnostics import clip
from .output import write_file
from .schema import ID_PATTERN

TEMPLATE = """{comment}
# New entry. Every key is explained in CONTRIBUTING.md; replace each REPLACE text.
# Check it with: tricks-kb validate tricks/{id}.yaml
id: {id}                       # mandatory; kebab-case; equals the file name
name: {name}                   # mandatory; display name
aliases: []                    # optional; other names people search for
category: tuning               # mandatory; one of the categories in docs/entry-format.md
tags: []                       # optional; free kebab-case tags
summary: >-                    # mandatory; one to three sentences
  REPLACE what the trick is.
how_to: >-                     # mandatory; the recipe with typical values
  REPLACE how to apply it, with typical values.
applies_to:
  domains: [general]           # mandatory; vision, language, speech, ...
  model_families: []           # optional; transformer, cnn, ...
  scales: []                   # optional; small, medium, large
claims:                        # mandatory; at least one (two or more expected in review)
  - statement: >-
      REPLACE what is claimed, as the source reports it.
    effect: helps              # helps / hurts / no-effect / mixed
    setting:
      task: REPLACE the task   # mandatory; dataset, model, scale, batch_size, optimizer optional
    evidence: anecdote         # multi-workload-benchmark ... anecdote (docs/evidence.md)
    sources: [replace_me]      # keys under sources below
sources:
  replace_me:                  # a short key such as loshchilov2019
    title: REPLACE exact title
    authors: [REPLACE First Author]
    year: {year}
    kind: blog                 # paper / benchmark / blog / docs / talk / book / code
    url: https://example.org/REPLACE   # or arxiv: "2101.00001" (quoted) or doi: "10...."
verdict: folklore              # established / promising / contested / folklore / debunked
verdict_reason: >-
  REPLACE why the evidence supports this verdict.
caveats: []
related: []                    # e.g. - {{id: adamw, type: alternative-to}}
last_reviewed: {today}
"""


class ScaffoldError(ValueError):
    """The id is malformed or already taken."""


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
    write_file(target, TEMPLATE.format(comment=SCHEMA_COMMENT, id=trick_id, name=name, year=today.year,
                                       today=today.isoformat()))
    return target
