"""Compare page: two to four tricks side by side, claims lined up by setting, and how they relate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..catalog import close_ids, resolve_id
from ..evidence import best_grade
from ..schema import Trick
from . import params
from .resources import get_tricks
from .text import escape_md, escape_md_block
from .views import compare_claims, compare_magnitudes, relations_between
from .widgets import badges, trick_link

PICK_KEY = "c_pick"
MAX_TRICKS = 4


def _selected_from_url(tricks: dict[str, Trick]) -> tuple[list[str], list[str]]:
    ids, unknown = [], []
    for raw in params.get_list("compare"):
        tid = resolve_id(raw, tricks)
        if tid is None:
            unknown.append(raw)
        elif tid not in ids:
            ids.append(tid)
    return ids[:MAX_TRICKS], unknown


def _column(t: Trick, tricks: dict[str, Trick]) -> None:
    with st.container(border=True):
        trick_link(t.id, t.name)
        badges(t.verdict.value, best_grade(t), t.category.value)
        st.markdown(escape_md_block(t.summary))
        st.markdown("**Overhead**  \n" + (escape_md_block(t.overhead) if t.overhead else "not stated"))
        if t.caveats:
            st.markdown("**Caveats**\n" + "\n".join("- " + escape_md(c) for c in t.caveats))


def _on_pick() -> None:
    """The widget changed: move the URL first, so the URL-wins rule below keeps the new choice."""
    chosen = st.session_state.get(PICK_KEY) or []
    params.write({"compare": ",".join(chosen) if chosen else None})


def render() -> None:
    """The compare page: ``?compare=adamw,lion``."""
    tricks = get_tricks()
    from_url, unknown = _selected_from_url(tricks)
    if PICK_KEY not in st.session_state or (from_url and from_url != st.session_state[PICK_KEY]):
        st.session_state[PICK_KEY] = from_url  # the URL is the source of truth
    st.title("Compare tricks")
    for raw in unknown:
        close = close_ids(raw, tricks, n=3)
        hint = f" Did you mean {escape_md(', '.join(close))}?" if close else ""
        st.warning(f"Unknown trick “{escape_md(raw[:120])}” left out.{hint}")
    ids = sorted(tricks, key=lambda i: tricks[i].name.casefold())
    chosen = st.multiselect("Pick two to four tricks", ids, key=PICK_KEY, max_selections=MAX_TRICKS,
                            format_func=lambda i: tricks[i].name, on_change=_on_pick)
    params.write({"compare": ",".join(chosen) if chosen else None})
    if len(chosen) < 2:
        st.info("Pick at least two tricks to compare them side by side.", icon=":material/compare_arrows:")
        return
    selected = [tricks[i] for i in chosen]
    for col, t in zip(st.columns(len(selected)), selected, strict=True):
        with col:
            _column(t, tricks)
    st.subheader("How they relate")
    rels = relations_between(selected)
    if rels:
        for r in rels:
            note = f" — {escape_md(r.note)}" if r.note else ""
            st.markdown(f"- **{escape_md(tricks[r.source].name)}** :gray-badge[{escape_md(r.type)}] "
                        f"**{escape_md(tricks[r.target].name)}**{note}")
    else:
        st.caption("No recorded relation between these tricks (see each trick's page for its related tricks).")
    st.subheader("Claims by setting")
    claims = pd.DataFrame(compare_claims(selected))
    st.table(claims.set_index("setting")[["trick", "effect", "grade", "magnitude", "evidence"]])
    st.subheader("Reported magnitudes")
    mags = compare_magnitudes(selected)
    if mags:
        st.table(pd.DataFrame(mags).set_index("trick"))
    else:
        st.caption("None of these tricks reports a numeric effect size.")
