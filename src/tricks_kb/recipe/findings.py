"""Findings: each entry's rules (structured conditions, no eval) evaluated over the detected tricks and settings."""

from __future__ import annotations

from dataclasses import dataclass

from ..detectspec import Direction, FindingRule, State, When
from ..evidence import grade_claims
from ..schema import Trick
from .detect import Found
from .match import find, passes
from .readers import Item, as_number, parse_scalar


@dataclass
class Context:
    """What a rule can look at: the config's items, format and detections, and the base config's items."""

    items: list[Item]
    fmt: str
    found: dict[str, Found]
    base: list[Item] | None = None


def _first(items: list[Item], keys: str | list[str]) -> Item | None:
    hits = find(items, keys)
    return hits[0] if hits else None


def _value(items: list[Item] | None, keys: str | list[str]) -> float | str | None:
    if items is None:
        return None
    it = _first(items, keys)
    if it is None:
        return None
    n = as_number(it.value)
    return n if n is not None else str(parse_scalar(it.raw) if it.raw else it.value)


def holds(w: When, ctx: Context) -> bool:
    """Whether a condition holds in this context."""
    if w.all is not None:
        return all(holds(x, ctx) for x in w.all)
    if w.any is not None:
        return any(holds(x, ctx) for x in w.any)
    if w.not_ is not None:
        return not holds(w.not_, ctx)
    if w.format is not None:
        return ctx.fmt == w.format
    if w.trick is not None:
        f = ctx.found.get(w.trick)
        state = w.state or State.on
        if w.source and (f is None or f.source != w.source):
            return False
        if state is State.on:
            return f is not None and f.state == "on"
        if state is State.off:
            return f is not None and f.state == "off"
        if state is State.missing:
            return f is None
        return f is None or f.state != "on"
    if w.changed is not None:
        if ctx.base is None:
            return False
        now, before = _value(ctx.items, w.changed), _value(ctx.base, w.changed)
        if now is None or before is None:
            return False
        d = w.direction or Direction.changed
        if d is Direction.same:
            return now == before
        if d is Direction.changed:
            return now != before
        if not isinstance(now, float) or not isinstance(before, float):
            return False
        return now > before if d is Direction.up else now < before
    item = _first(ctx.items, w.key)  # type: ignore[arg-type]
    other = None
    ref = w.gt_key or w.ge_key
    if ref is not None:
        other_item = _first(ctx.items, ref)
        other = other_item.value if other_item else None
    return passes(w, item, other)


@dataclass
class Finding:
    """One finding: severity, the trick whose entry raised it, message, claims with grades, and the line."""

    severity: str
    trick: str
    rule: str
    message: str
    claims: list[dict]
    line: int | None

    def to_dict(self) -> dict:
        return {"severity": self.severity, "trick": self.trick, "message": self.message, "claims": self.claims,
                "line": self.line}


def _line(rule: FindingRule, trick: Trick, ctx: Context) -> int | None:
    if rule.at:
        it = _first(ctx.items, rule.at)
        if it is not None:
            return it.line
    f = ctx.found.get(trick.id)
    if f is not None and f.line is not None:
        return f.line
    for sub in _leaves(rule.when):
        if sub.trick and ctx.found.get(sub.trick) and ctx.found[sub.trick].line:
            return ctx.found[sub.trick].line
        if sub.key or sub.changed:
            it = _first(ctx.items, sub.key or sub.changed)  # type: ignore[arg-type]
            if it is not None:
                return it.line
    return None


def _leaves(w: When) -> list[When]:
    kids = (w.all or []) + (w.any or []) + ([w.not_] if w.not_ else [])
    return [w] if not kids else [leaf for k in kids for leaf in _leaves(k)]


def evaluate(tricks: dict[str, Trick], ctx: Context) -> list[Finding]:
    """Every rule of every entry whose condition holds, most severe first, then by line."""
    out: list[Finding] = []
    for trick in tricks.values():
        if trick.detect is None or not trick.detect.rules:
            continue
        grades = grade_claims(trick)
        for rule in trick.detect.rules:
            if not holds(rule.when, ctx):
                continue
            claims = [{"number": n, "grade": grades[n - 1].grade, "statement": trick.claims[n - 1].statement}
                      for n in rule.claims if 1 <= n <= len(trick.claims)]
            if not claims:
                continue  # no finding without its claim
            out.append(Finding(rule.severity.value, trick.id, rule.name, rule.message, claims,
                               _line(rule, trick, ctx)))
    order = {"conflict": 0, "caution": 1, "info": 2}
    return sorted(out, key=lambda f: (order[f.severity], f.line or 0, f.trick))
