"""Turn catalog entries into the passages that the search index embeds and scores.

Each trick gives one "entry" passage (name, aliases, summary, how-to, tags), one passage per
claim, so a query can match the single claim that answers it, and one passage per symptom (a
problem or question in practitioners' words), so "my loss spikes early" finds the tricks for it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .schema import Trick

MAX_PASSAGE_CHARS = 2000


@dataclass(frozen=True)
class Passage:
    """One searchable piece of text and where it comes from."""

    entry_id: str
    kind: str  # "entry", "claim" or "symptom"
    claim_index: int | None
    text: str

    @property
    def text_hash(self) -> str:
        """Stable hash of the text (vectors are reused when it is unchanged)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:24]

    def to_dict(self) -> dict[str, object]:
        return {"entry": self.entry_id, "kind": self.kind, "claim": self.claim_index, "text": self.text}

    @classmethod
    def from_dict(cls, d: dict) -> Passage:
        return cls(entry_id=str(d["entry"]), kind=str(d["kind"]),
                   claim_index=None if d.get("claim") is None else int(d["claim"]), text=str(d["text"]))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_PASSAGE_CHARS else text[:MAX_PASSAGE_CHARS]


def entry_text(trick: Trick) -> str:
    """The entry passage: name, aliases, summary, how-to and tags."""
    parts = [trick.name + "."]
    if trick.aliases:
        parts.append("Also known as: " + ", ".join(trick.aliases) + ".")
    parts.append(trick.summary)
    parts.append(trick.how_to)
    if trick.tags:
        parts.append("Tags: " + ", ".join(t.replace("-", " ") for t in trick.tags) + ".")
    return _clip(" ".join(parts))


def claim_text(trick: Trick, index: int) -> str:
    """A claim passage, prefixed with the trick's name so it stands on its own."""
    claim = trick.claims[index]
    setting = claim.setting
    where = ", ".join(x for x in (setting.task, setting.dataset, setting.model) if x)
    return _clip(f"{trick.name}: {claim.statement} ({where})")


def symptom_text(trick: Trick, index: int) -> str:
    """A symptom passage: the problem in the practitioner's words, then what the trick is."""
    return _clip(f"{trick.symptoms[index]}: {trick.name}.")


def trick_passages(trick: Trick) -> list[Passage]:
    """All passages of one trick: the entry passage first, then one per claim, then one per symptom."""
    out = [Passage(trick.id, "entry", None, entry_text(trick))]
    out.extend(Passage(trick.id, "claim", i, claim_text(trick, i)) for i in range(len(trick.claims)))
    out.extend(Passage(trick.id, "symptom", None, symptom_text(trick, i)) for i in range(len(trick.symptoms)))
    return out


def catalog_passages(tricks: dict[str, Trick]) -> list[Passage]:
    """Passages of every trick, in id order (the order of the vectors in the index)."""
    return [p for tid in sorted(tricks) for p in trick_passages(tricks[tid])]


def content_hash(trick: Trick) -> str:
    """Hash of an entry's full content: any change to the entry changes it."""
    blob = json.dumps(trick.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]
