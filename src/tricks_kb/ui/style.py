"""The app's few CSS rules (fixed text, never catalog content): wrapping titles and phone-sized layouts."""

from __future__ import annotations

import streamlit as st

CSS = """<style>
/* Link labels (trick titles on cards, compare columns, related tricks) wrap instead of being cut mid-word. */
[data-testid="stPageLink-NavLink"] { height: auto; min-height: 2rem; align-items: flex-start; }
[data-testid="stPageLink-NavLink"] > span:last-child, [data-testid="stPageLink-NavLink"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere; display: inline !important;
}
/* Tables (claims, compare) wrap their cells and scroll sideways inside their own box on a phone. */
[data-testid="stTable"] { overflow-x: auto; max-width: 100%; }
[data-testid="stTable"] td, [data-testid="stTable"] th { white-space: normal; overflow-wrap: anywhere; }
/* The hint that points to the filters in the collapsed side panel: phones only. */
.st-key-phone-filters { display: none; }
@media (max-width: 640px) {
  .st-key-phone-filters { display: block; }
  [data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 0.8rem; padding: 0.25rem 0.35rem;
                                                          min-width: 7.5rem; }
}
</style>"""


def apply() -> None:
    """Add the app's CSS to this run (Streamlit puts style-only HTML outside the page content)."""
    st.html(CSS)
