"""Landscape page: one chart of what is known versus folklore, and counts by verdict per category."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ..evidence import GRADE_THRESHOLDS
from ..schema import Verdict
from .resources import get_tricks
from .views import landscape_rows, verdict_counts

VERDICT_SHAPES = ["diamond", "circle", "triangle-up", "square", "cross"]
ENCODING_NOTE = (
    "**How to read it.** Each point is a trick. Left to right is *how strong* its best evidence is: the points "
    "of its strongest claim under the grading rubric (design of the study, rated up for replication and "
    "breadth, down for one seed, weak baselines and the like), with the grade bands D, C, B, A shaded. Bottom "
    "to top is *how much* independent evidence there is: groups of sources that share no author. Top right is "
    "well known; the bottom left is folklore. Colour is the category (what part of training the trick "
    "changes) and shape the catalog's verdict. Points are nudged apart slightly so ties stay visible; hover "
    "for details and click a point to open its page. Position is used for the two quantities you compare "
    "most precisely; colour and shape only for the categories."
)


def _bands(x_max: float) -> alt.LayerChart:
    """Shaded grade bands behind the points (thresholds from the grading rubric)."""
    (_, t_a), (_, t_b), (_, t_c) = GRADE_THRESHOLDS
    df = pd.DataFrame([
        {"grade": "D", "x0": -1.0, "x1": t_c, "shade": 0},
        {"grade": "C", "x0": t_c, "x1": t_b, "shade": 1},
        {"grade": "B", "x0": t_b, "x1": t_a, "shade": 0},
        {"grade": "A", "x0": t_a, "x1": max(x_max + 0.5, t_a + 2.0), "shade": 1},
    ])
    df["mid"] = (df["x0"] + df["x1"]) / 2
    rect = alt.Chart(df).transform_filter(alt.datum.shade == 1).mark_rect(opacity=0.08, color="gray").encode(
        x="x0:Q", x2="x1:Q")
    text = alt.Chart(df).mark_text(baseline="top", dy=4, fontWeight="bold", opacity=0.5).encode(
        x="mid:Q", y=alt.value(0), text=alt.Text("grade:N"))
    return rect + text


def landscape_chart(rows: list[dict]) -> alt.LayerChart:
    """Scatter of evidence strength (x) against amount (y), coloured by category, linking to each trick."""
    df = pd.DataFrame(rows)
    x_max = float(df["points"].max()) + 1 if len(df) else 12.0
    y_max = float(df["independent_sources"].max()) + 0.6 if len(df) else 5.0
    points = alt.Chart(df).mark_point(filled=True, size=110, opacity=0.85).encode(
        x=alt.X("x:Q", title="Strength of the best evidence (points of the strongest claim)",
                scale=alt.Scale(domain=[-1, max(x_max + 0.5, 10.0)], nice=False),
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("y:Q", title="Independent sources (distinct first authors)",
                scale=alt.Scale(domain=[0, y_max], nice=False), axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("category:N", title="Category", scale=alt.Scale(scheme="tableau20"),
                        legend=alt.Legend(orient="bottom", columns=4)),
        shape=alt.Shape("verdict:N", title="Verdict", sort=[v.value for v in Verdict],
                        scale=alt.Scale(domain=[v.value for v in Verdict], range=VERDICT_SHAPES),
                        legend=alt.Legend(orient="top", direction="horizontal")),
        href=alt.Href("url:N"),
        tooltip=[alt.Tooltip("name:N", title="Trick"), alt.Tooltip("verdict:N", title="Verdict"),
                 alt.Tooltip("best_grade:N", title="Best grade"), alt.Tooltip("points:Q", title="Points"),
                 alt.Tooltip("claims:Q", title="Claims"),
                 alt.Tooltip("independent_sources:Q", title="Independent sources"),
                 alt.Tooltip("category:N", title="Category")],
    )
    return alt.layer(_bands(x_max), points).properties(height=480)


def render() -> None:
    """The landscape page."""
    tricks = get_tricks()
    st.title("The landscape: known versus folklore")
    if not tricks:
        st.info("The catalog is empty.")
        return
    rows = landscape_rows(tricks)
    st.altair_chart(landscape_chart(rows), width="stretch")
    st.caption(ENCODING_NOTE)
    st.subheader("Tricks by verdict in each category")
    counts = pd.DataFrame(verdict_counts(tricks))
    st.dataframe(counts, hide_index=True, width="stretch", height=35 * (len(counts) + 1) + 3)
