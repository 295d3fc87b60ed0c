"""Small rendering helpers shared by the pages (badges with their legend, trick links, page titles)."""

from __future__ import annotations

import streamlit as st

from .text import escape_md
from .views import GRADE_HELP, VERDICT_COLORS, VERDICT_HELP, strength_label

TITLE = "tricks-kb: training tricks, graded"
GRADE_COLORS = {"A": "green", "B": "blue", "C": "orange", "D": "gray"}


def verdict_badge(verdict: str) -> str:
    """Markdown badge for a verdict (colour by verdict; text escaped)."""
    color = VERDICT_COLORS.get(verdict, "gray")
    return f":{color}-badge[{escape_md(verdict)}]"


def grade_badge(grade: str, direction: str = "for") -> str:
    """Markdown badge 'grade A · strong evidence' ('… against' when the strongest claims say it does not help)."""
    color = {"against": "red", "both": "orange"}.get(direction, GRADE_COLORS.get(grade, "gray"))
    return f":{color}-badge[grade {escape_md(grade)} · {escape_md(strength_label(grade, direction))}]"


def category_badge(category: str) -> str:
    """Markdown badge for a category."""
    return f":gray-badge[{escape_md(category)}]"


def badge_line(verdict: str, grade: str, category: str, direction: str = "for") -> str:
    """Markdown: verdict, grade and category badges on one line."""
    return " ".join((verdict_badge(verdict), grade_badge(grade, direction), category_badge(category)))


def badge_help(verdict: str | None = None) -> str:
    """Tooltip text for a badge line: what the verdict and the grade mean."""
    lines = [f"**Verdict** ({escape_md(verdict)}): {escape_md(VERDICT_HELP.get(verdict, ''))}." if verdict
             else "**Verdict**: the catalog's reading of all the claims."]
    lines.append("Verdicts: " + "; ".join(f"{v}: {h}" for v, h in VERDICT_HELP.items()) + ".")
    lines.append("**Grade**: " + GRADE_HELP)
    return "\n\n".join(lines)


def badges(verdict: str, grade: str, category: str, direction: str = "for") -> None:
    """One line of verdict, grade and category badges, with a tooltip saying what they mean."""
    st.markdown(badge_line(verdict, grade, category, direction), help=badge_help(verdict))


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


def page_title(view: str) -> None:
    """Name the browser tab after the view ('AdamW · tricks-kb')."""
    st.set_page_config(page_title=f"{view[:80]} · tricks-kb" if view else TITLE)


_FOCUS_JS = """<script>
(() => {
  const box = () => document.querySelector("[data-testid='stMain'] input[aria-label='Search']");
  const b = box();
  if (b && document.activeElement !== b && !b.value) { b.focus(); }
  // The filter panel arrives a moment after the results and its mounting can drop the focus: put it back,
  // but only while nothing else has it (never taken from where the reader clicked or typed).
  const again = () => { const x = box(); const idle = !document.activeElement || document.activeElement === document.body;
                        if (x && idle && !x.value) { x.focus(); } };
  setTimeout(again, 800); setTimeout(again, 1600);
})();
</script>"""


def focus_search() -> None:
    """Put the cursor in the (empty) search box when the page opens (fixed script, no user text)."""
    st.html(_FOCUS_JS, unsafe_allow_javascript=True, width="content")
