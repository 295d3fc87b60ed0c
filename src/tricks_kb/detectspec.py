"""Pydantic models of an entry's optional ``detect:`` block: how a trick looks in a config, and its finding rules.

Conditions are structured data (``{gt: 0}``, ``{in: [...]}``, ``all``/``any``/``not`` of leaves), never
code: ``recipe.findings`` walks them and nothing is evaluated with ``eval``. Key names are matched on the
dotted-path suffix, case-insensitively, with ``-`` and ``_`` folded (``warmup-epochs`` == ``warmup_epochs``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Scalar = str | int | float | bool | None
Key = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.*\-]+$")]
Keys = Key | list[Key]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=120)]
TEST_FIELDS = ("gt", "ge", "lt", "le", "eq", "ne", "in_", "not_in", "match", "truthy", "present", "raw_match",
               "gt_key", "ge_key")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Test(_Strict):
    """A test on one value. Several fields combine with AND; none given means 'truthy'.

    Numbers are compared after reading text as a number (``"1e-3"`` is 0.001); ``match`` is a glob on the
    value's text, case-insensitive, ``|`` separating alternatives (``adamw*|decoupled_adamw``).
    """

    gt: float | None = Field(None, description="Value is a number greater than this.")
    ge: float | None = Field(None, description="Value is a number at least this.")
    lt: float | None = Field(None, description="Value is a number less than this.")
    le: float | None = Field(None, description="Value is a number at most this.")
    eq: Scalar = Field(None, description="Value equals this (numbers numerically, text case-insensitively).")
    ne: Scalar = Field(None, description="Value differs from this.")
    in_: list[Scalar] | None = Field(None, alias="in", description="Value equals one of these.")
    not_in: list[Scalar] | None = Field(None, description="Value equals none of these.")
    match: Pattern | None = Field(None, description="Glob(s) on the value's text, '|' between alternatives.")
    raw_match: Pattern | None = Field(None, description="Regular expression on the text exactly as written.")
    truthy: bool | None = Field(None, description="true: value is on (not 0, false, null, '', 'none').")
    present: bool | None = Field(None, description="true: the key is present at all, whatever its value.")
    gt_key: Keys | None = Field(None, description="Value greater than the value of this other key.")
    ge_key: Keys | None = Field(None, description="Value at least the value of this other key.")

    def given(self) -> list[str]:
        """Names of the tests set (``eq``/``ne`` count when written, even as null)."""
        return [f for f in TEST_FIELDS if f in self.model_fields_set and f in type(self).model_fields]


class Signal(Test):
    """Keys that show the trick in a config, and when they count as on.

    With ``values`` the key's value names the trick (``optim: adamw_torch``): a match is on, anything else
    says nothing. Without it the key is a switch: on when the test holds (default truthy), else off
    (unless ``off`` narrows what counts as off). ``negated`` keys (``no_...``) invert the switch.
    """

    keys: list[Key] = Field(min_length=1, description="Dotted-path suffixes, e.g. warmup_steps, optimizer.name.")
    values: list[Pattern] = Field(default_factory=list, description="Globs of values that name the trick.")
    off: Test | None = Field(None, description="Only these values count as off (default: a value that is off in "
                             "effect: 0, false, null, ''). A signal with only `off` can only turn the trick off.")
    exclude: list[Key] = Field(default_factory=list, description="Keys matching these are never this signal.")
    negated: bool = Field(False, description="A 'no_...' key: true means the trick is off.")
    frameworks: list[Key] = Field(default_factory=list, description="Only when one of these frameworks is inferred.")
    not_frameworks: list[Key] = Field(default_factory=list, description="Never when one of these is inferred.")


class State(StrEnum):
    """A trick's state in a config."""

    on = "on"
    off = "off"
    missing = "missing"
    not_on = "not-on"


class Direction(StrEnum):
    """How a value moved from the base config (``--against``)."""

    up = "up"
    down = "down"
    same = "same"
    changed = "changed"


class When(Test):
    """A rule condition: exactly one of all / any / not / trick / key / changed / format (with its tests)."""

    all: list[When] | None = Field(None, description="Every sub-condition holds.")
    any: list[When] | None = Field(None, description="At least one sub-condition holds.")
    not_: When | None = Field(None, alias="not", description="The sub-condition does not hold.")
    trick: Key | None = Field(None, description="A trick id; with state (default on) and optional source.")
    state: State | None = Field(None, description="on / off / missing / not-on.")
    source: Annotated[str, StringConstraints(pattern=r"^(explicit|default)$")] | None = Field(
        None, description="explicit or default (only with trick).")
    key: Keys | None = Field(None, description="Key(s): the first present one is tested with the test fields.")
    changed: Keys | None = Field(None, description="Key(s) compared with the --against base config.")
    direction: Direction | None = Field(None, description="With changed: up / down / same / changed.")
    format: Annotated[str, StringConstraints(pattern=r"^(json|yaml|toml|python|cli)$")] | None = Field(
        None, description="The config's format.")

    @model_validator(mode="after")
    def _one_kind(self) -> When:
        kinds = [k for k in ("all", "any", "not_", "trick", "key", "changed", "format") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a condition needs exactly one of all/any/not/trick/key/changed/format (got {kinds or 'none'})")
        if self.direction is not None and self.changed is None:
            raise ValueError("direction goes with changed")
        if (self.state is not None or self.source is not None) and self.trick is None:
            raise ValueError("state and source go with trick")
        return self


class Severity(StrEnum):
    """How strongly a finding goes against the evidence."""

    conflict = "conflict"
    caution = "caution"
    info = "info"


class FindingRule(_Strict):
    """A finding raised when its condition holds, resting on claims of this entry (1-based numbers)."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] = Field(
        description="kebab-case name, unique in the entry.")
    when: When = Field(description="The condition over recognised tricks and settings.")
    severity: Severity = Field(description="conflict / caution / info.")
    message: Annotated[str, StringConstraints(min_length=1, max_length=600)] = Field(
        description="What is wrong and what the evidence says, in one or two sentences.")
    claims: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, description="1-based claim numbers it rests on.")
    at: Key | None = Field(None, description="Key whose line the finding points at (default: the trick's line).")


class Detect(_Strict):
    """How the trick shows in training configs, and the findings it can raise."""

    signals: list[Signal] = Field(default_factory=list, description="Keys and values that show the trick.")
    settings: list[Key] = Field(default_factory=list, description="Further keys reported with the trick.")
    claim: Annotated[int, Field(ge=1)] | None = Field(
        None, description="1-based number of the claim that matters most for a config using it.")
    rules: list[FindingRule] = Field(default_factory=list, description="Finding rules.")


When.model_rebuild()
