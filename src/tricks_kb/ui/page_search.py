"""Search page: one query box, sidebar filters, result cards with the matched passage highlighted."""

from __future__ import annotations

import time

import streamlit as st

from ..evidence import grade_claims
from ..filters import FILTER_NAMES, YEAR, Filters
from ..render import grade_text
from ..schema import Category, Domain, Trick, Verdict
from ..search import LOOSEN_PROBE
from . import nav, params
from .resources import BUILD_COMMAND, catalog_dir, get_engine, get_tricks, invalid_entries, start_engine
from .text import escape_md, first_sentence, highlight_md, parse_year, snippet
from .views import evidence_direction
from .widgets import badge_help, badge_line, focus_search, grade_badge, page_title

K_QUERY = 10  # results per "show more" step
K_BROWSE = 24  # cards on the first screen of the landing page (the rest one click away)
K_MAX = 200
# On a first visit the browser must fetch and compile the filter widgets' code (multiselect, slider) before
# it paints anything of the run that contains them: 0.55 s of 1.7 s to the first card on a cold 2-core
# machine (docs/benchmarks.md). Sent a moment after the results, they no longer hold the results back.
FIRST_PAINT_PAUSE_S = 0.5
ENGINE_WAIT_S = 8.0  # longer than an ONNX load on a busy 2-core machine, shorter than a torch one
GRADES = ["A", "B", "C", "D"]
LIST_FILTERS = {  # filter name (URL parameter, session key f_<name>) -> (label, options, format)
    "category": ("Category", [c.value for c in Category], str),
    "verdict": ("Verdict", [v.value for v in Verdict], str),
    "grade": ("Evidence grade (best claim)", GRADES, grade_text),
    "domain": ("Domain", [d.value for d in Domain], str),
}
URL_FILTERS = (*LIST_FILTERS, "tag")  # list filters kept in the URL (tags: the catalog's own, see _list_filters)
STATUS_TEXT = {
    "missing": "has not been built",
    "stale": "is out of date with the catalog",
    "corrupt": "is damaged",
    "model-mismatch": "was built with a different embedding model",
    "model-missing": "cannot be used because the embedding model is not installed",
}


def _year_bounds() -> tuple[int, int]:
    years = [s.year for t in get_tricks().values() for s in t.sources.values()]
    return (min(years), max(years)) if years else (1950, 2030)


def _list_filters() -> dict[str, tuple[str, list[str], object]]:
    """The sidebar's list filters: the fixed vocabularies, then the catalog's free tags (with counts)."""
    counts: dict[str, int] = {}
    for t in get_tricks().values():
        for tag in t.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return {**LIST_FILTERS, "tag": ("Tag", sorted(counts), lambda tag: f"{tag} ({counts.get(tag, 0)})")}


def _redirect_deep_links() -> None:
    """``/?trick=adamw`` and ``/?compare=a,b`` open the trick and compare pages."""
    if st.query_params.get("trick"):
        st.switch_page(nav.page("trick"), query_params={"trick": params.get_str("trick")})
    if st.query_params.get("compare"):
        st.switch_page(nav.page("compare"), query_params={"compare": params.get_str("compare")})


def _filter_values() -> dict[str, object]:
    """The filters in force: the sidebar widgets' values, set from the URL on a session's first run."""
    lo, hi = _year_bounds()
    for name, (_, options, _) in _list_filters().items():
        params.init_state(f"f_{name}", [v for v in params.get_list(name) if v in options])
    ymin, ymax = parse_year(params.get_str("year_min")), parse_year(params.get_str("year_max"))
    a = min(max(ymin or lo, lo), hi)
    b = max(min(ymax or hi, hi), a)
    params.init_state(f"f_{YEAR}", (a, b))
    chosen: dict[str, object] = {name: list(st.session_state[f"f_{name}"]) for name in URL_FILTERS}
    years = st.session_state[f"f_{YEAR}"] if lo < hi else (lo, hi)
    chosen["year_min"] = years[0] if years[0] > lo else None
    chosen["year_max"] = years[1] if years[1] < hi else None
    return chosen


def _filters_sidebar(chosen: dict[str, object]) -> None:
    """The filter widgets (drawn after the results: the first screen is the results, not the side panel)."""
    lo, hi = _year_bounds()
    with st.sidebar:
        st.subheader("Filters")
        for name, (label, options, fmt) in _list_filters().items():
            st.multiselect(label, options, key=f"f_{name}", format_func=fmt)
        if lo < hi:
            st.slider("Year of sources", min_value=lo, max_value=hi, key=f"f_{YEAR}",
                      help="Keep tricks with at least one source published in this range.")
        if any(chosen.values()):
            st.button("Clear all filters", on_click=_clear_filters, args=(lo, hi), icon=":material/filter_alt_off:")


def _clear_filters(lo: int, hi: int) -> None:
    for name in URL_FILTERS:
        st.session_state[f"f_{name}"] = []
    st.session_state[f"f_{YEAR}"] = (lo, hi)


def _banner(engine: object, notice: str | None) -> None:
    status = getattr(engine, "status", "ok")
    if status == "ok" and not notice:
        return
    keyword_only = getattr(engine, "embedder", None) is None
    problem = STATUS_TEXT.get(status, "has a problem")
    if keyword_only:
        message = (f"The search index {problem}: showing keyword (BM25) results only, without semantic "
                   "matching. A maintainer can fix this by rebuilding the index:")
    else:
        message = (f"The search index {problem}: results are complete (changed entries were embedded in "
                   "memory), but a maintainer should rebuild the index:")
    with st.container(border=True, key="index-banner"):
        st.warning(message, icon=":material/warning:")
        st.code(BUILD_COMMAND, language="bash")
        if notice:
            with st.expander("Details"):
                st.markdown(escape_md(notice))


def _answer(hit: object, trick: Trick | None, terms: str) -> str | None:
    """The card's answer: the matched claim, else the strongest claim (a symptom would repeat the question)."""
    if trick is None or not trick.claims:
        return None
    grades = grade_claims(trick)
    if hit.matched_kind == "claim" and hit.claim_index is not None and hit.claim_index < len(trick.claims):
        i, lead = hit.claim_index, "Matched claim"
        text = hit.matched
    else:
        i = max(range(len(grades)), key=lambda j: (grades[j].points, -j))
        lead, text = "Strongest evidence, claim", trick.claims[i].statement
    return (f"{grade_badge(grades[i].grade)} **{lead} {i + 1}** ({escape_md(trick.claims[i].effect.value)}): "
            + highlight_md(snippet(text, terms), terms))


def _card(hit: object, query: str, terms: str, tricks: dict[str, Trick]) -> None:
    """One result: the trick link, then a single markdown body (one element per card keeps a new tab fast)."""
    from .widgets import trick_link

    trick = tricks.get(hit.id)
    direction = evidence_direction(trick) if trick else "for"
    lines = [badge_line(hit.verdict, hit.grade, hit.category, direction), escape_md(hit.summary)]
    if query.strip():
        answer = getattr(hit, "answer", None)
        if answer:  # the engine's answering claim (its best-scoring claim passage, else its best-graded claim)
            lines.append(f"{grade_badge(answer['grade'])} **Answer** (claim {answer['claim']}, "
                         f"{escape_md(answer['effect'])}, source {escape_md(answer['source'])}): "
                         + highlight_md(snippet(answer["statement"], terms), terms))
        else:
            fallback = _answer(hit, trick, terms)
            if fallback:
                lines.append(fallback)
        reason = getattr(hit, "verdict_reason_short", "") or (
            first_sentence(trick.verdict_reason) if trick is not None and trick.verdict_reason else "")
        if reason:
            lines.append(f"**Why {escape_md(hit.verdict)}:** " + escape_md(snippet(reason, "", width=240)))
        if hit.matched:
            if hit.matched_kind == "claim" and hit.claim_index is not None:
                where = f"claim {hit.claim_index + 1}"
            else:
                where = "symptom" if hit.matched_kind == "symptom" else "entry"
            lines.append(f":gray[Matched ({where}): " + highlight_md(snippet(hit.matched, terms), terms) + "]")
    with st.container(border=True):
        trick_link(hit.id, hit.name)
        st.markdown("\n\n".join(lines))


def _legend() -> None:
    """What the badges on the cards mean: one tooltip for the whole list, not one per card."""
    st.caption("Badges: verdict · strongest evidence grade · category.", help=badge_help())


def _apply_query(text: str) -> None:
    st.session_state["s_q"] = text


def _loosen(name: str) -> None:
    if name == YEAR:
        st.session_state.pop(f"f_{YEAR}", None)
        st.session_state[f"f_{YEAR}"] = _year_bounds()
    else:
        st.session_state[f"f_{name}"] = []


def _suggestions(resp: object) -> None:
    """The engine's spelling correction and loosen-a-filter counts, each as a one-click button."""
    corrected = getattr(resp, "corrected_query", None)
    if corrected:
        st.button(f"Search for “{escape_md(corrected)}” instead", key="sugg-spelling",
                  on_click=_apply_query, args=(corrected,), icon=":material/spellcheck:")
    for name, n in (getattr(resp, "loosen", None) or {}).items():
        label = "year" if name == YEAR else LIST_FILTERS.get(name, (name,))[0].split(" (")[0].lower()
        count = f"{n}{'+' if n >= LOOSEN_PROBE else ''}"
        st.button(f"Loosen the {escape_md(label)} filter ({count} results without it)", key=f"sugg-{name}",
                  on_click=_loosen, args=(name,), icon=":material/filter_alt_off:")


def _no_match(resp: object, query: str) -> None:
    """Below the relevance floor: say so plainly, name the nearest entries, offer the whole catalog."""
    from .widgets import trick_link

    st.info("No trick matches this question: nothing in the catalog is close to it.", icon=":material/search_off:")
    st.caption(f"Asked: “{escape_md(query[:80])}”")  # shown as text (escape_md breaks auto-linking)
    tricks = get_tricks()
    near = [t for t in getattr(resp, "suggestions", []) if t in tricks]
    if near:
        st.caption("Nearest entries, though not close:")
        for tid in near:
            trick_link(tid, tricks[tid].name)
    st.button("Browse the whole catalog", key="browse-catalog", on_click=_apply_query, args=("",),
              icon=":material/list:")
    _suggestions(resp)


def _compare_link(resp: object) -> None:
    pair = getattr(resp, "compare", None) or []
    if len(pair) == 2:
        nav.link("compare", "Compare these two side by side", query_params={"compare": ",".join(pair)},
                 icon=":material/compare:")


def _empty(resp: object, chosen: dict[str, object]) -> None:
    st.info("No trick matches this search. Check the spelling, use fewer or other words, or loosen a filter.",
            icon=":material/search_off:")
    _suggestions(resp)
    active = [name for name, v in chosen.items() if v]
    if active:
        st.markdown("Active filters: " + ", ".join(escape_md(a.replace("_", " ")) for a in active) + ".")


@st.fragment(run_every=0.5)
def _wait_for_engine() -> None:
    """Rerun the page once the engine has loaded (polls twice a second only while it is loading)."""
    if start_engine().done():
        st.rerun(scope="app")


def render() -> None:
    """The search page."""
    _redirect_deep_links()
    tricks = get_tricks()
    params.init_state("s_q", params.get_str("q"))
    st.title("Neural-network training tricks")
    st.caption(f"{len(tricks)} tricks, each claim graded A (high) to D (very low) by the strength of its "
               "evidence. Search by name, symptom or question.")
    if not tricks:
        st.error(f"The catalog folder {escape_md(str(catalog_dir()))} has no valid entries. A maintainer can check "
                 "it with `tricks-kb validate`.", icon=":material/folder_off:")
    elif invalid_entries():
        st.caption(f"{invalid_entries()} catalog file(s) failed validation and are not shown "
                   "(`tricks-kb validate` lists the problems).")
    query = st.text_input("Search", key="s_q", placeholder="e.g. warmup, loss spikes early, label smoothing",
                          icon=":material/search:")
    query = query[:params.MAX_PARAM_CHARS]  # (no max_chars: its counter covered the query on a phone)
    focus_search()
    page_title(query.strip())
    with st.container(key="phone-filters"):  # shown on narrow screens only (see style.py)
        st.caption(":material/tune: Filters (category, verdict, grade, domain, tag, year): open the side panel "
                   "with **»** at the top left.")
    chosen = _filter_values()
    params.write({"q": query.strip(), **{k: v for k, v in chosen.items() if k in URL_FILTERS},
                  "year_min": str(chosen["year_min"]) if chosen["year_min"] else None,
                  "year_max": str(chosen["year_max"]) if chosen["year_max"] else None})
    params.remember({"s_q": query.strip(), f"f_{YEAR}": st.session_state.get(f"f_{YEAR}"),
                     **{f"f_{k}": list(chosen[k]) for k in URL_FILTERS}})
    _results(query, chosen, tricks)
    if not st.session_state.get("s_painted"):  # a session's first run: let the browser paint the results first
        st.session_state["s_painted"] = True
        time.sleep(FIRST_PAINT_PAUSE_S)
    _filters_sidebar(chosen)  # after the results, which are the first screen (a widget not drawn loses its state)


def _results(query: str, chosen: dict[str, object], tricks: dict[str, Trick]) -> None:
    """The results for the query and filters: cards, or what to do when there are none."""
    filters = Filters(**{name: chosen[name] for name in FILTER_NAMES})
    view = (query.strip(), repr(sorted((k, str(v)) for k, v in chosen.items())))
    if st.session_state.get("s_view") != view:  # a new query or filter starts from the first page again
        st.session_state["s_view"], st.session_state["s_more"] = view, 0
    step = K_QUERY if query.strip() else K_BROWSE
    k = min(K_MAX, step * (1 + st.session_state.get("s_more", 0)))
    # The engine loads from the server's start (ONNX queries: about a second), so waiting briefly gives hybrid
    # results at once; keyword results are shown only when loading takes longer (torch fall back, no model).
    with st.spinner("Loading semantic search…", show_time=True):
        engine, ready = get_engine(wait=ENGINE_WAIT_S)
    t0 = time.perf_counter()
    resp = engine.search(query, k=k + 1, filters=filters)  # one extra: is there more to show?
    took_ms = (time.perf_counter() - t0) * 1000
    more = len(resp.hits) > k
    hits = resp.hits[:k]
    if ready:
        _banner(engine, resp.notice)
    else:
        st.info("Semantic search is still loading: these are keyword matches for now; results refine by "
                "themselves in a few seconds.", icon=":material/hourglass_top:")
        _wait_for_engine()
    if getattr(resp, "below_floor", False):
        _no_match(resp, query)
        return
    if not hits:
        _empty(resp, chosen)
        return
    if resp.mode == "browse":
        st.caption(f"{len(hits)} of {len(tricks) if not any(chosen.values()) else 'the matching'} tricks, by name. "
                   "Type a query to rank them.")
    else:
        st.caption(f"{len(hits)} results for “{escape_md(query[:80])}” ({escape_md(resp.mode)} search, "
                   f"{took_ms:.0f} ms), best first.")
        _suggestions(resp)
        _compare_link(resp)
    _legend()
    corrected = getattr(resp, "corrected_query", None)
    terms = " ".join((query, corrected or ""))  # a corrected word is highlighted like a typed one
    for hit in hits:
        _card(hit, query, terms, tricks)
    if more:
        st.button(f"Show {step} more", key="s-more-btn", on_click=_show_more, icon=":material/expand_more:")


def _show_more() -> None:
    st.session_state["s_more"] = st.session_state.get("s_more", 0) + 1
