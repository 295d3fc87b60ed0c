"""Small rendering helpers shared by the pages (badges, trick links)."""

from __future__ import annotations

import streamlit as st

from ..evidence import GRADE_LABELS
from .text import escape_md
from .views import VERDICT_COLORS

GRADE_COLORS = {"A": "green", "B": "blue", "C": "orange", "D": "gray"}


def verdict_badge(verdict: str) -> str:
    """Markdown badge for a verdict (colour by verdict; text escaped)."""
    color = VERDICT_COLORS.get(verdict, "gray")
    return f":{color}-badge[{escape_md(verdict)}]"


def grade_badge(grade: str) -> str:
    """Markdown badge 'grade B · moderate'."""
    color = GRADE_COLORS.get(grade, "gray")
    label = GRADE_LABELS.get(grade, "")
    return f":{color}-badge[grade {escape_md(grade)} · {escape_md(label)}]"


def category_badge(category: str) -> str:
    """Markdown badge for a category."""
    return f":gray-badge[{escape_md(category)}]"


def badge_line(verdict: str, grade: str, category: str) -> str:
    """Markdown: verdict, grade and category badges on one line."""
    return " ".join((verdict_badge(verdict), grade_badge(grade), category_badge(category)))


def badges(verdict: str, grade: str, category: str) -> None:
    """One line of verdict, grade and category badges."""
    st.markdown(badge_line(verdict, grade, category))


def trick_link(trick_id: str, name: str) -> None:
    """A link to the trick page for ``trick_id`` (label escaped)."""
    from . import nav

    nav.link("trick", label=escape_md(name), query_params={"trick": trick_id})


_SCROLL_JS = """<script>/* view: %s */
(() => {
  for (const el of [document.querySelector("[data-testid='stMain']"), document.scrollingElement]) {
    if (el) { el.scrollTop = 0; }
  }
})();
</script>"""


def scroll_to_top(view: str) -> None:
    """Scroll to the top whenever ``view`` changes (a new trick opened from a link on the same page).

    The script is fixed text; ``view`` (a validated id) only makes the element differ so it runs again.
    """
    import json

    st.html(_SCROLL_JS % json.dumps(view).replace("*/", ""), unsafe_allow_javascript=True, width="content")
