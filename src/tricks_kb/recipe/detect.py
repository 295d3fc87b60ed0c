"""Detection: which catalog tricks a read config uses, with settings as written, line, state and source."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..detectspec import Signal
from ..schema import Trick
from .defaults import chain
from .framework import GROUP_KEYS, GROUPS, Framework
from .match import find, glob, passes, segments, truthy
from .readers import Item


@dataclass
class Found:
    """A trick seen in the config (or turned on by a framework default)."""

    id: str
    state: str                       # on / off
    source: str                      # explicit / default
    line: int | None
    settings: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


def _is_on(sig: Signal, item: Item, items: list[Item]) -> bool:
    if sig.values:
        return glob(sig.values, item.value)
    if sig.given():
        other = None
        ref = sig.gt_key or sig.ge_key
        if ref is not None:
            near = find(items, ref)
            other = near[0].value if near else None
        return passes(sig, item, other)
    if sig.off is not None:
        return False  # a signal with only `off` can only turn the trick off
    return truthy(item.value) != sig.negated


def _is_off(sig: Signal, item: Item) -> bool:
    if sig.off is not None:
        return passes(sig.off, item)
    if sig.values:
        return False
    return truthy(item.value) == sig.negated


def _applies(sig: Signal, fw: list[str]) -> bool:
    if sig.frameworks and not set(sig.frameworks) & set(fw):
        return False
    return not (sig.not_frameworks and set(sig.not_frameworks) & set(fw))


def _label(item: Item) -> str:
    parts = item.key.split(".")
    return parts[-1] if not parts[-1].isdigit() else ".".join(parts[-2:])


def _encloses(item: Item, parent: tuple[str, ...]) -> bool:
    """A setting belongs to a hit when it sits beside the hit or in a block around it: ``norm.norm_type`` says
    nothing about gradient clipping at the top level."""
    own = segments(item.key)[:-1]
    return own == parent[: len(own)]


def _settings(trick: Trick, hits: list[Item], items: list[Item]) -> dict[str, str]:
    """The hit keys plus the entry's setting keys, preferring siblings of the first hit."""
    out = {_label(h): h.raw for h in hits[:4]}
    if trick.detect is None or not hits:
        return out
    parent = segments(hits[0].key)[:-1]
    for pat in trick.detect.settings:
        found = [it for it in find(items, pat) if _encloses(it, parent)]
        near = [it for it in found if segments(it.key)[:-1] == parent]
        pick = (near or found)[:1]
        for it in pick:
            out.setdefault(_label(it), it.raw)
    return out


_SWITCHES = ("enabled", "enable")


def _disabled_blocks(items: list[Item]) -> list[tuple[str, ...]]:
    """Blocks switched off by their own ``enabled: false`` (DeepSpeed's ``fp16: {enabled: false, loss_scale: 0}``)."""
    return [segs[:-1] for it in items if len(segs := segments(it.key)) > 1 and segs[-1] in _SWITCHES
            and not truthy(it.value)]


def _in_disabled(item: Item, blocks: list[tuple[str, ...]]) -> bool:
    """A setting inside a switched-off block (not the switch itself) is inactive: it can show a trick off, never on."""
    segs = segments(item.key)
    return segs[-1] not in _SWITCHES and any(segs[: len(b)] == b and len(segs) > len(b) for b in blocks)


def detect(items: list[Item], tricks: dict[str, Trick], framework: Framework | None) -> dict[str, Found]:
    """Explicit detections first, then the framework's defaults for what the config leaves undecided."""
    fws = [f.id for f in chain(framework)]
    found: dict[str, Found] = {}
    disabled = _disabled_blocks(items)
    for tid, trick in tricks.items():
        if trick.detect is None:
            continue
        on: list[Item] = []
        off: list[Item] = []
        for sig in trick.detect.signals:
            if not _applies(sig, fws):
                continue
            for it in find(items, sig.keys):
                if sig.exclude and find([it], sig.exclude):
                    continue
                if _is_on(sig, it, items):
                    (off if disabled and _in_disabled(it, disabled) else on).append(it)
                elif _is_off(sig, it):
                    off.append(it)
        hits = sorted(on or off, key=lambda it: (it.line, it.col))
        if hits:
            found[tid] = Found(tid, "on" if on else "off", "explicit", hits[0].line, _settings(trick, hits, items),
                               hits)
    for fw in chain(framework):
        for a, b in fw.remap:
            if a in found and b in tricks and b not in found:
                f = found.pop(a)
                f.id = b
                found[b] = f
    _apply_defaults(found, items, tricks, framework)
    return found


def _apply_defaults(found: dict[str, Found], items: list[Item], tricks: dict[str, Trick],
                    framework: Framework | None) -> None:
    for fw in chain(framework):
        for d in fw.defaults:
            if d.trick in found or d.trick not in tricks:
                continue
            if d.group in GROUPS and any(found.get(t) and found[t].state == "on" and found[t].source == "explicit"
                                         for t in GROUPS[d.group]):
                continue
            if d.group in GROUP_KEYS and any(not isinstance(it.value, dict) for it in find(items, list(GROUP_KEYS[d.group]))):
                continue
            if d.group == "precision" and any(found.get(t) and found[t].state == "on"
                                              for t in ("mixed-precision-fp16", "bf16-training")):
                continue
            if d.requires and not (found.get(d.requires) and found[d.requires].state == "on"):
                continue
            if d.when and not any(glob(d.when[1], it.value) for it in find(items, d.when[0])):
                continue
            if d.unless and find(items, d.unless):
                continue
            trick = tricks[d.trick]
            related: list[Item] = []
            if trick.detect is not None:
                keys = [k for s in trick.detect.signals if not s.values for k in s.keys]
                related = find(items, keys) + [it for it in find(items, list(trick.detect.settings))
                                               if _encloses(it, ())]
                related = sorted({id(it): it for it in related}.values(), key=lambda it: it.line)
            settings = {_label(it): it.raw for it in related[:4]} or dict(d.settings)
            found[d.trick] = Found(d.trick, d.state, "default", related[0].line if related else None, settings)
