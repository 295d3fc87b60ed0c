"""Pydantic models for one catalog entry: the single source of truth for the format.

The JSON Schema in ``schema/trick.schema.json`` is generated from these models
(``tricks-kb schema --write``) and a test fails when it drifts.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, WithJsonSchema, field_validator

from .detectspec import Detect

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SOURCE_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
ARXIV_PATTERN = r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$"
DOI_PATTERN = r"^10\.\d{4,9}/\S+$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
MAX_TEXT = 4000

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=2, max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


class Category(StrEnum):
    """What part of training a trick changes."""

    optimizer = "optimizer"
    schedule = "schedule"
    regularization = "regularization"
    augmentation = "augmentation"
    normalization = "normalization"
    initialization = "initialization"
    architecture = "architecture"
    numerics = "numerics"
    memory = "memory"
    batch_size = "batch-size"
    data = "data"
    stability = "stability"
    tuning = "tuning"
    diagnostics = "diagnostics"
    scaling = "scaling"


class Domain(StrEnum):
    """Application areas a trick has been used in."""

    general = "general"
    vision = "vision"
    language = "language"
    speech = "speech"
    audio = "audio"
    recommendation = "recommendation"
    graphs = "graphs"
    reinforcement_learning = "reinforcement-learning"
    tabular = "tabular"
    multimodal = "multimodal"
    generative = "generative"
    science = "science"


class Scale(StrEnum):
    """Model scale: small < 100M parameters, medium 100M-10B, large > 10B."""

    small = "small"
    medium = "medium"
    large = "large"


class Effect(StrEnum):
    """Direction of a claim's effect on the outcome it measures."""

    helps = "helps"
    hurts = "hurts"
    no_effect = "no-effect"
    mixed = "mixed"


class EvidenceKind(StrEnum):
    """Study design behind a claim, strongest first (see docs/evidence.md)."""

    multi_workload_benchmark = "multi-workload-benchmark"
    controlled_study = "controlled-study"
    ablation = "ablation"
    single_comparison = "single-comparison"
    theory = "theory"
    practitioner_report = "practitioner-report"
    anecdote = "anecdote"


class RateDown(StrEnum):
    """Reasons to rate a claim's certainty down (GRADE-style)."""

    single_seed = "single-seed"
    weak_baseline = "weak-baseline"
    single_scale = "single-scale"
    single_task = "single-task"
    bundled_changes = "bundled-changes"
    unequal_tuning = "unequal-tuning"
    indirect = "indirect"
    inconsistent = "inconsistent"
    proposer_run = "proposer-run"


class SourceKind(StrEnum):
    """What kind of publication a source is."""

    paper = "paper"
    benchmark = "benchmark"
    blog = "blog"
    docs = "docs"
    talk = "talk"
    book = "book"
    code = "code"


class Verdict(StrEnum):
    """Overall status of a trick, checked against its claims (docs/evidence.md)."""

    established = "established"
    promising = "promising"
    contested = "contested"
    folklore = "folklore"
    debunked = "debunked"


class RelationType(StrEnum):
    """How a trick relates to another."""

    alternative_to = "alternative-to"
    complements = "complements"
    conflicts_with = "conflicts-with"
    generalizes = "generalizes"
    part_of = "part-of"

# Enums are matched by value from YAML strings; everything else is strict.
_Lax = Strict(False)
CategoryF = Annotated[Category, _Lax]
DomainF = Annotated[Domain, _Lax]
ScaleF = Annotated[Scale, _Lax]
EffectF = Annotated[Effect, _Lax]
EvidenceKindF = Annotated[EvidenceKind, _Lax]
RateDownF = Annotated[RateDown, _Lax]
SourceKindF = Annotated[SourceKind, _Lax]
VerdictF = Annotated[Verdict, _Lax]
RelationTypeF = Annotated[RelationType, _Lax]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, use_enum_values=False)


class Magnitude(_Strict):
    """Reported size of an effect."""

    metric: Short = Field(description="What was measured, e.g. 'top-1 error' or 'steps to target'.")
    value: float = Field(
        description="Reported change or value as a number (negative for a decrease).",
        ge=-1e9,
        le=1e9,
    )
    unit: Short | None = Field(None, description="Unit of value, e.g. 'percentage points', '%', 'x'.")
    baseline: Short | None = Field(None, description="What the change is measured against.")

    @field_validator("value", mode="before")
    @classmethod
    def _int_is_number(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v


class Setting(_Strict):
    """Where a claim was observed."""

    task: Short = Field(description="Task, e.g. 'image classification' or 'LM pre-training'.")
    dataset: Short | None = Field(None, description="Dataset(s), e.g. 'ImageNet'.")
    model: Short | None = Field(None, description="Model(s), e.g. 'ResNet-50'.")
    scale: Short | None = Field(None, description="Model or data scale, e.g. '124M params'.")
    batch_size: Annotated[
        Short | None,
        WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1, "maxLength": 300}, {"type": "integer"},
                                  {"type": "null"}]}),
    ] = Field(None, description="Batch size as written, e.g. 256 or '4M tokens'.")
    optimizer: Short | None = Field(None, description="Optimizer used in the comparison.")

    @field_validator("batch_size", mode="before")
    @classmethod
    def _batch_as_text(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        return v


class Claim(_Strict):
    """One testable statement about a trick, with its evidence."""

    statement: Text = Field(description="The claim in one or two sentences.")
    effect: EffectF = Field(description="helps / hurts / no-effect / mixed.")
    magnitude: Magnitude | None = Field(None, description="Reported size of the effect, if any.")
    setting: Setting = Field(description="Where it was observed.")
    evidence: EvidenceKindF = Field(description="Kind of study behind the claim.")
    seeds: int | None = Field(None, ge=1, le=100000, description="Number of seeds, when reported.")
    workloads: int | None = Field(
        None, ge=1, le=100000, description="Number of distinct workloads (task+model) tested."
    )
    rate_down: list[RateDownF] = Field(
        default_factory=list, description="Reasons to lower certainty (docs/evidence.md)."
    )
    equal_tuning: bool | None = Field(
        None,
        description="True when the study shows its baselines were tuned with the same effort as the method; "
        "'proposer-run' is then not applied (say so in the statement).",
    )
    sources: list[Annotated[str, StringConstraints(pattern=SOURCE_KEY_PATTERN)]] = Field(
        min_length=1, description="Keys into this entry's sources."
    )


class Source(_Strict):
    """A citable paper, benchmark, doc or post with at least one stable identifier."""

    title: Short = Field(description="Exact title as published.")
    authors: list[Short] = Field(min_length=1, description="Authors in order; first author required.")
    year: int = Field(ge=1950, le=2100, description="Year of first publication.")
    venue: Short | None = Field(None, description="Conference, journal, or site.")
    kind: SourceKindF = Field(description="paper / benchmark / blog / docs / talk / book / code.")
    arxiv: Annotated[str, StringConstraints(pattern=ARXIV_PATTERN)] | None = Field(
        None, description="arXiv id, quoted: \"1711.05101\"."
    )
    doi: Annotated[str, StringConstraints(pattern=DOI_PATTERN)] | None = Field(
        None, description="DOI without the resolver prefix: \"10.1109/CVPR.2016.90\"."
    )
    url: Short | None = Field(None, description="http(s) URL of the stable page.")


class Related(_Strict):
    """A typed link to another trick."""

    id: Id = Field(description="id of the other trick.")
    type: RelationTypeF = Field(description="How this trick relates to the other one.")
    note: Short | None = Field(None, description="Optional one-line explanation.")


class AppliesTo(_Strict):
    """Where a trick is used."""

    domains: list[DomainF] = Field(min_length=1, description="Application domains.")
    model_families: list[Short] = Field(
        default_factory=list, description="Model families, e.g. transformer, cnn, rnn."
    )
    scales: list[ScaleF] = Field(default_factory=list, description="small / medium / large.")


class Trick(_Strict):
    """One training trick: what it is, how to use it, and what is known about it."""

    id: Id = Field(description="kebab-case id; equals the file name without .yaml.")
    name: Short = Field(description="Display name.")
    aliases: list[Short] = Field(default_factory=list, description="Other names people search for.")
    category: CategoryF = Field(description="Primary category.")
    tags: list[Annotated[str, StringConstraints(pattern=ID_PATTERN)]] = Field(
        default_factory=list, description="Free kebab-case tags."
    )
    symptoms: list[Short] = Field(
        default_factory=list,
        description="Problems or questions the trick addresses, in practitioners' words, "
        "e.g. 'loss spikes early in training' (each is indexed for search).",
    )
    summary: Text = Field(description="What the trick is, in one to three sentences.")
    how_to: Text = Field(description="The recipe with typical values.")
    applies_to: AppliesTo = Field(description="Domains, model families and scales.")
    overhead: Text | None = Field(None, description="Extra compute, memory or tuning cost.")
    claims: list[Claim] = Field(min_length=1, description="What is claimed, with evidence.")
    sources: dict[Annotated[str, StringConstraints(pattern=SOURCE_KEY_PATTERN)], Source] = Field(
        min_length=1, description="Sources keyed by a short key such as loshchilov2019."
    )
    introduced_by: Annotated[str, StringConstraints(pattern=SOURCE_KEY_PATTERN)] | None = Field(
        None, description="Key of the source that introduced the trick (one of `sources`); "
        "exactly one of introduced_by and origin is required."
    )
    origin: Short | None = Field(
        None, description="Why there is no single introducing source, e.g. 'folklore practice, no single "
        "origin'; exactly one of introduced_by and origin is required."
    )
    verdict: VerdictF = Field(description="Overall status; must be supported by the claims.")
    verdict_reason: Text = Field(description="Why this verdict, in a few sentences.")
    caveats: list[Text] = Field(default_factory=list, description="Where it fails or misleads.")
    related: list[Related] = Field(default_factory=list, description="Typed links to other tricks.")
    last_reviewed: dt.date = Field(description="Date of the last review, YYYY-MM-DD.")
    detect: Detect | None = Field(
        None, description="How the trick shows in training configs and the findings it raises (docs/recipe-check.md)."
    )

    @field_validator("last_reviewed", mode="before")
    @classmethod
    def _iso_date(cls, v: Any) -> Any:
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return dt.date.fromisoformat(v)
        return v


TOP_LEVEL_ORDER = list(Trick.model_fields)


def json_schema() -> dict[str, Any]:
    """Return the entry schema as JSON Schema draft 7 (editors understand it best)."""
    schema = Trick.model_json_schema(ref_template="#/definitions/{model}")
    defs = schema.pop("$defs", {})
    out: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/tricks-kb/tricks-kb/schema/trick.schema.json",
    }
    out.update(schema)
    if defs:
        out["definitions"] = defs
    _fix_for_draft7(out)
    return out


def _fix_for_draft7(node: Any) -> None:
    # pydantic emits a few 2019+ keywords; keep the draft-7 subset.
    if isinstance(node, dict):
        node.pop("discriminator", None)
        for value in node.values():
            _fix_for_draft7(value)
    elif isinstance(node, list):
        for value in node:
            _fix_for_draft7(value)
