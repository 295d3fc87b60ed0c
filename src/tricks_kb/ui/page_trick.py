"""Trick page: the whole entry, readable, with the reasoning behind its verdict and its sources."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ..catalog import close_ids, resolve_id
from ..evidence import BASE_POINTS, GRADE_THRESHOLDS, best_grade, grade_claims
from ..export import trick_bibtex, trick_record
from ..render import how_to_steps, origin_text, source_links
from ..schema import Trick
from . import nav
from .contrib import edit_issue_url, entry_file_url, repo_url
from .resources import get_tricks
from .text import escape_md, escape_md_block, escape_md_code, md_link
from .views import claim_rows, evidence_direction, evidence_groups, verdict_support
from .widgets import badges, grade_badge, page_title, scroll_to_top, trick_link

PICK_KEY = "t_pick"
THRESHOLDS_MD = ("Each claim starts from the points of its study design ("
                 + ", ".join(f"{k.value} {p}" for k, p in BASE_POINTS.items())
                 + "), +2 when another group replicates it, +2 for breadth, −2 for each reason to rate down. "
                 "Grades: " + ", ".join(f"**{g}** from {p} points" for g, p in GRADE_THRESHOLDS)
                 + f", **D** below {GRADE_THRESHOLDS[-1][1]}.")


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
        nav.link("search", label="Search the catalog instead", icon=":material/search:")


CLAIM_COLUMNS = ["grade", "effect", "claim", "magnitude", "setting", "evidence", "sources"]


def _claims(t: Trick) -> None:
    st.subheader("Claims and evidence")
    df = pd.DataFrame(claim_rows(t)).drop(columns=["why this grade"])
    # st.table wraps long text (a data grid would cut each statement to one line); it renders plain text only.
    # The claim number is a column (not the index) so it shows, and the grade comes first: on a phone the
    # table scrolls sideways and the grade stays beside its claim.
    # (st.table reads column names as markdown: a bare "#" would be an empty heading.)
    st.table(df[["#", *CLAIM_COLUMNS]].rename(columns={"#": "no."}), hide_index=True)


def _for_and_against(t: Trick) -> None:
    """The claims side by side by effect, strongest first, each with its grade and setting."""
    groups = [(h, g) for h, g in evidence_groups(t) if g]
    if not groups:
        return
    st.subheader("Evidence for and against")
    for col, (heading, rows) in zip(st.columns(len(groups)), groups, strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{escape_md(heading)}** ({len(rows)})")
            for r in rows:
                mag = f" — {escape_md(r['magnitude'])}" if r["magnitude"] else ""
                st.markdown(f"{grade_badge(r['grade'][0])} **Claim {r['#']}.** {escape_md(r['claim'])}{mag}")
                st.caption(f"Setting: {escape_md(r['setting'])} · {escape_md(r['evidence'])} · "
                           f"{escape_md(r['sources'])}")


def _reasoning(t: Trick) -> None:
    st.subheader("Why this verdict")
    st.markdown(escape_md_block(t.verdict_reason))
    ok, declared_ok = verdict_support(t)
    supported = ", ".join(ok) if ok else "none"
    st.markdown(f"Verdicts the evidence supports: **{escape_md(supported)}**.")
    if not declared_ok:
        st.warning(f"The declared verdict “{escape_md(t.verdict.value)}” is not supported by the graded claims.")
    with st.expander("How each claim was graded"):
        st.markdown(THRESHOLDS_MD + f" Full rules and worked examples: [the grading rubric]({nav.href_path('rubric')}).")
        for i, (c, g) in enumerate(zip(t.claims, grade_claims(t), strict=True), start=1):
            st.markdown(f"**Claim {i}: grade {g.grade}** ({g.points} points; {escape_md(c.evidence.value)}): "
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


def _sentence(text: str) -> str:
    """Escaped text ending in one full stop ('Is it safe?' keeps its question mark)."""
    text = text.strip()
    return escape_md(text) + ("" if text[-1:] in ".?!" else ".")


def _sources(t: Trick) -> None:
    st.subheader("Sources")
    keys = sorted(t.sources, key=lambda k: k != t.introduced_by)  # the introducing source first
    for key in keys:
        s = t.sources[key]
        first = " **(introduced the trick)**" if key == t.introduced_by else ""
        authors = ", ".join(s.authors[:6]) + (" et al." if len(s.authors) > 6 else "")
        links = " · ".join(md_link(label, url) for label, url in source_links(s))
        venue = f" {_sentence(s.venue)}" if s.venue else ""
        st.markdown(f"- `{key}`{first} {escape_md(authors)} ({s.year}). *{_sentence(s.title)}*{venue} {links}")
    st.markdown("**BibTeX** (copy button at the top right of the block; keys as above)")
    st.code(trick_bibtex(t), language="bibtex", wrap_lines=True)


def _contribute(t: Trick) -> None:
    repo = repo_url()
    if repo is None:
        st.caption(f"Found an error? Edit `tricks/{t.id}.yaml` and open a pull request (see Contribute).")
        return
    page = nav.href_path("trick") + f"?trick={t.id}"
    st.markdown(" · ".join((md_link("Suggest an edit / report an error", edit_issue_url(repo, t, page)),
                            md_link(f"tricks/{t.id}.yaml in the repository", entry_file_url(repo, t)),
                            md_link("the repository", repo))))


def render_trick(t: Trick, tricks: dict[str, Trick]) -> None:
    """Every part of one entry."""
    page_title(t.name)
    st.title(escape_md(t.name))
    badges(t.verdict.value, best_grade(t), t.category.value, evidence_direction(t))
    if t.aliases:
        st.caption("Also known as: " + escape_md(", ".join(t.aliases)))
    st.caption("Introduced by: " + escape_md(origin_text(t)))
    st.markdown(escape_md_block(t.summary))
    if t.symptoms:
        st.markdown("**Reach for it when:** " + " · ".join(escape_md(x) for x in t.symptoms))
    st.subheader("How to")
    steps = how_to_steps(t.how_to)
    st.markdown("\n".join(f"{i}. {escape_md_code(step)}" for i, step in enumerate(steps, 1)) if steps
                else escape_md_block(t.how_to, code=True))
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
                nav.link("search", label=escape_md(tag), query_params={"tag": tag},
                             icon=":material/sell:", width="content")
    if t.overhead:
        st.subheader("Overhead")
        st.markdown(escape_md_block(t.overhead))
    _for_and_against(t)
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
    _contribute(t)


def render() -> None:
    """The trick page: ``?trick=<id>`` (an id, a name or an alias)."""
    tricks = get_tricks()
    wanted = str(st.query_params.get("trick", "") or "").strip()
    tid = resolve_id(wanted, tricks) if wanted else None
    if tid:
        # Always send it: a link from one trick to another stays on this page, and the browser's URL
        # only follows (with a history entry) when the server reports the query string.
        st.query_params["trick"] = tid
        scroll_to_top(tid)
    _picker(tricks, tid)
    if tid:
        render_trick(tricks[tid], tricks)
    elif wanted:
        _unknown(wanted, tricks)
    else:
        page_title("Trick")
        st.title("Look up a trick")
        st.info("Choose a trick above, or find one from the Search page.", icon=":material/arrow_upward:")
