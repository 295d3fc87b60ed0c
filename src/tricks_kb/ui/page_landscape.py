"""Landscape page: one chart of what is known versus folklore, and counts by verdict per category."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ..schema import Verdict
from . import nav
from .resources import get_tricks
from .views import landscape_bands_of, landscape_rows, verdict_counts
from .widgets import page_title

VERDICT_COLORS = {"established": "#2e7d32", "promising": "#1f77b4", "contested": "#ef8f00", "folklore": "#8e44ad",
                  "debunked": "#d62728"}  # the badge colours
ENCODING_NOTE = (
    "**How to read it.** Each point is a trick. Left to right are the grade bands of its *strongest* claim "
    "(D very low, C low, B moderate, A high: the [grading rubric]({rubric}) scores the study design, rated up "
    "for replication and breadth, down for one seed, weak baselines and the like); within a band, tricks "
    "sit side by side, weaker claims left. Bottom to top is *how much* independent evidence there is: groups "
    "of sources that share no author. Colour is the catalog's verdict, so a red point in band A is a trick with "
    "strong evidence *against* it. Hover for details; click a point to open its page."
)


def _bands(bands: list[dict], y_max: float) -> alt.LayerChart:
    """Shaded grade bands behind the points, each labelled with its grade."""
    df = pd.DataFrame(bands)
    df["mid"] = (df["x0"] + df["x1"]) / 2
    df["shade"] = [i % 2 for i in range(len(df))]
    rect = alt.Chart(df).transform_filter(alt.datum.shade == 1).mark_rect(
        opacity=0.07, color="gray", tooltip=False, aria=False).encode(x="x0:Q", x2="x1:Q")
    text = alt.Chart(df).mark_text(baseline="top", dy=4, fontWeight="bold", opacity=0.6, tooltip=False,
                                   aria=False).encode(
        x="mid:Q", y=alt.value(0), text=alt.Text("grade:N"))
    return rect + text


def landscape_chart(rows: list[dict], bands: list[dict]) -> alt.LayerChart:
    """Unit chart: grade band of the best evidence (x) against amount (y), coloured by verdict, linking to tricks."""
    df = pd.DataFrame(rows)
    x_max = max(b["x1"] for b in bands)
    y_max = float(df["independent_sources"].max()) + 0.7 if len(df) else 5.0
    points = alt.Chart(df).mark_point(filled=True, shape="circle", size=90, opacity=0.9).encode(
        x=alt.X("x:Q", title="Grade of the strongest claim",
                scale=alt.Scale(domain=[0, x_max], nice=False), axis=alt.Axis(labels=False, ticks=False,
                                                                              grid=False)),
        y=alt.Y("y:Q", title="Independent sources",
                scale=alt.Scale(domain=[0.4, y_max], nice=False), axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("verdict:N", title="Verdict", sort=[v.value for v in Verdict],
                        scale=alt.Scale(domain=[v.value for v in Verdict],
                                        range=[VERDICT_COLORS[v.value] for v in Verdict]),
                        legend=alt.Legend(orient="bottom", direction="horizontal", columns=3)),
        href=alt.Href("url:N"),
        tooltip=[alt.Tooltip("name:N", title="Trick"), alt.Tooltip("verdict:N", title="Verdict"),
                 alt.Tooltip("grade_label:N", title="Best grade"),
                 alt.Tooltip("points:Q", title="Points of the strongest claim"),
                 alt.Tooltip("claims:Q", title="Claims"),
                 alt.Tooltip("independent_sources:Q", title="Independent sources"),
                 alt.Tooltip("category:N", title="Category")],
    )
    return alt.layer(_bands(bands, y_max), points).properties(height=460)


def render() -> None:
    """The landscape page."""
    tricks = get_tricks()
    page_title("Landscape")
    st.title("The landscape: known versus folklore")
    if not tricks:
        st.info("The catalog is empty.")
        return
    rows = landscape_rows(tricks, href=nav.href_path("trick"))
    st.altair_chart(landscape_chart(rows, landscape_bands_of(rows)), width="stretch")
    st.caption(ENCODING_NOTE.format(rubric=nav.href_path("rubric")))
    st.subheader("Tricks by verdict in each category")
    counts = pd.DataFrame(verdict_counts(tricks))
    st.dataframe(counts, hide_index=True, width="stretch", height=35 * (len(counts) + 1) + 3)
