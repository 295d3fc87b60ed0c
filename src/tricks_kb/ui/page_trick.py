"""Trick page: the whole entry, readable, with the reasoning behind its verdict and its sources."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ..catalog import close_ids, resolve_id
from ..evidence import best_grade, grade_claims
from ..export import source_bibtex, trick_record
from ..render import origin_text, source_links
from ..schema import Trick
from . import nav
from .resources import get_tricks
from .text import escape_md, escape_md_block, md_link
from .views import claim_rows, verdict_support
from .widgets import badges, trick_link

PICK_KEY = "t_pick"


def _on_pick() -> None:
    chosen = st.session_state.get(PICK_KEY)
    if chosen:
        st.query_params["trick"] = chosen


def _picker(tricks: dict[str, Trick], current: str | None) -> None:
    ids = sorted(tricks, key=lambda i: tricks[i].name.casefold())
    if current is not None and st.session_state.get(PICK_KEY) != current:
        st.session_state[PICK_KEY] = current  # the URL is the source of truth
    st.selectbox("Trick", ids, index=None, key=PICK_KEY, format_func=lambda i: tricks[i].name,
                 placeholder="Choose a trick…", on_change=_on_pick, label_visibility="collapsed")


def _unknown(wanted: str, tricks: dict[str, Trick]) -> None:
    st.error(f"There is no trick with the id or name “{escape_md(wanted[:120])}”.", icon=":material/help:")
    close = close_ids(wanted, tricks)
    if close:
        st.markdown("Did you mean:")
        for tid in close:
            trick_link(tid, tricks[tid].name)
    else:
        st.page_link(nav.page("search"), label="Search the catalog instead", icon=":material/search:")


def _claims(t: Trick) -> None:
    st.subheader("Claims and evidence")
    df = pd.DataFrame(claim_rows(t)).drop(columns=["why this grade"])
    df["#"] = df["#"] + 1
    # st.table wraps long text (a data grid would cut each statement to one line); it renders plain text only.
    st.table(df.set_index("#")[["effect", "claim", "magnitude", "setting", "evidence", "grade", "sources"]])


def _reasoning(t: Trick) -> None:
    st.subheader("Why this verdict")
    st.markdown(escape_md_block(t.verdict_reason))
    ok, declared_ok = verdict_support(t)
    supported = ", ".join(ok) if ok else "none"
    st.markdown(f"Verdicts the evidence supports: **{escape_md(supported)}**.")
    if not declared_ok:
        st.warning(f"The declared verdict “{escape_md(t.verdict.value)}” is not supported by the graded claims.")
    with st.expander("How each claim was graded"):
        for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True)):
            st.markdown(f"**Claim {i + 1}: grade {g.grade}** ({escape_md(c.evidence.value)}): "
                        + escape_md("; ".join(g.reasons)))


def _related(t: Trick, tricks: dict[str, Trick]) -> None:
    if not t.related:
        return
    st.subheader("Related tricks")
    for r in t.related:
        note = f" — {escape_md(r.note)}" if r.note else ""
        if r.id in tricks:
            cols = st.columns([1, 3], vertical_alignment="center")
            cols[0].markdown(f":gray-badge[{escape_md(r.type.value)}]")
            with cols[1]:
                trick_link(r.id, tricks[r.id].name)
            if note:
                cols[1].caption(note.removeprefix(" — "))
        else:
            st.markdown(f":gray-badge[{escape_md(r.type.value)}] {escape_md(r.id)} (not in the catalog yet){note}")


def _sources(t: Trick) -> None:
    st.subheader("Sources")
    keys = sorted(t.sources, key=lambda k: k != t.introduced_by)  # the introducing source first
    for key in keys:
        s = t.sources[key]
        first = " **(introduced the trick)**" if key == t.introduced_by else ""
        authors = ", ".join(s.authors[:6]) + (" et al." if len(s.authors) > 6 else "")
        links = " · ".join(md_link(label, url) for label, url in source_links(s))
        venue = f" {escape_md(s.venue)}." if s.venue else ""
        st.markdown(f"- `{key}`{first} {escape_md(authors)} ({s.year}). *{escape_md(s.title)}*.{venue} "
                    f"{links}")
    st.markdown("**BibTeX** (copy button at the top right of the block)")
    st.code("\n\n".join(source_bibtex(s) for s in t.sources.values()), language="bibtex", wrap_lines=True)


def render_trick(t: Trick, tricks: dict[str, Trick]) -> None:
    """Every part of one entry."""
    st.title(escape_md(t.name))
    badges(t.verdict.value, best_grade(t), t.category.value)
    if t.aliases:
        st.caption("Also known as: " + escape_md(", ".join(t.aliases)))
    st.caption("Introduced by: " + escape_md(origin_text(t)))
    st.markdown(escape_md_block(t.summary))
    if t.symptoms:
        st.markdown("**Reach for it when:** " + "; ".join(escape_md(x) for x in t.symptoms))
    st.subheader("How to")
    st.markdown(escape_md_block(t.how_to))
    a = t.applies_to
    st.subheader("Applies to")
    lines = ["- Domains: " + escape_md(", ".join(d.value for d in a.domains))]
    if a.model_families:
        lines.append("- Model families: " + escape_md(", ".join(a.model_families)))
    if a.scales:
        lines.append("- Scales: " + escape_md(", ".join(s.value for s in a.scales)))
    st.markdown("\n".join(lines))
    if t.tags:
        with st.container(horizontal=True, vertical_alignment="center", key="trick-tags"):
            st.markdown("Tags:", width="content")
            for tag in t.tags:  # each opens the search page filtered to that tag
                st.page_link(nav.page("search"), label=escape_md(tag), query_params={"tag": tag},
                             icon=":material/sell:", width="content")
    if t.overhead:
        st.subheader("Overhead")
        st.markdown(escape_md_block(t.overhead))
    _claims(t)
    _reasoning(t)
    if t.caveats:
        st.subheader("Caveats")
        st.markdown("\n".join("- " + escape_md(c) for c in t.caveats))
    _related(t, tricks)
    _sources(t)
    st.download_button("Download this entry as JSON", json.dumps(trick_record(t), indent=2, ensure_ascii=False),
                       file_name=f"{t.id}.json", mime="application/json", icon=":material/download:")
    st.caption(f"Last reviewed {t.last_reviewed.isoformat()} · id `{t.id}` · file `tricks/{t.id}.yaml`")


def render() -> None:
    """The trick page: ``?trick=<id>`` (an id, a name or an alias)."""
    tricks = get_tricks()
    wanted = str(st.query_params.get("trick", "") or "").strip()
    tid = resolve_id(wanted, tricks) if wanted else None
    if tid and tid != wanted:
        st.query_params["trick"] = tid
    _picker(tricks, tid)
    if tid:
        render_trick(tricks[tid], tricks)
    elif wanted:
        _unknown(wanted, tricks)
    else:
        st.info("Choose a trick above, or find one from the Search page.", icon=":material/arrow_upward:")
