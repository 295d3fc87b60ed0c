"""Navigation: the pages, their stable URLs, and a guard that turns any page error into a friendly message."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

import streamlit as st

log = logging.getLogger(__name__)

# url_path -> (title, icon, module name under tricks_kb.ui)
PAGES: dict[str, tuple[str, str, str]] = {
    "search": ("Search", ":material/search:", "page_search"),
    "trick": ("Trick", ":material/article:", "page_trick"),
    "compare": ("Compare", ":material/compare_arrows:", "page_compare"),
    "landscape": ("Landscape", ":material/scatter_plot:", "page_landscape"),
    "check": ("Check a recipe", ":material/fact_check:", "page_check"),
    "contribute": ("Contribute", ":material/edit_note:", "page_contribute"),
}
FRIENDLY_ERROR = (
    "Sorry, something went wrong while showing this page. The problem has been logged. "
    "Try another search or reload the page; if it keeps happening, please open an issue."
)

_local = threading.local()  # st.Page objects of the current script run (one set per run, never shared)


def guarded(render: Callable[[], None]) -> Callable[[], None]:
    """Run a page body; show a friendly error instead of a traceback on any unexpected exception.

    Streamlit's own control flow (rerun, stop, switch_page) derives from BaseException and passes through.
    """

    @functools.wraps(render)
    def page() -> None:
        try:
            render()
        except Exception:
            log.exception("page %s failed", render.__module__)
            st.error(FRIENDLY_ERROR, icon=":material/error:")

    return page


def _render_of(module: str) -> Callable[[], None]:
    """A page body that imports its module on first use (altair and pandas load only when needed)."""

    def render() -> None:
        import importlib

        importlib.import_module(f"{__package__}.{module}").render()

    render.__module__ = f"{__package__}.{module}"
    render.__name__ = render.__qualname__ = f"render_{module}"
    return render


def _make_pages() -> dict[str, st.Page]:
    return {path: st.Page(guarded(_render_of(module)), title=title, icon=icon, url_path=path,
                          default=path == "search")
            for path, (title, icon, module) in PAGES.items()}


def page(url_path: str) -> st.Page:
    """The st.Page for a URL path in this script run (for links and switch_page).

    Page objects carry per-run state (st.navigation marks the one it returns as callable once), so
    each run makes its own: sharing them between sessions makes concurrent runs fail.
    """
    pages = getattr(_local, "pages", None)
    if pages is None:
        pages = _local.pages = _make_pages()
    return pages[url_path]


@functools.cache
def favicon() -> object:
    """A small local favicon (a page's material icon would be fetched from Google Fonts; the app works offline)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((2, 2, 62, 62), radius=14, fill=(255, 75, 75, 255))
    for i, h in enumerate((18, 30, 44)):  # three bars: evidence growing
        draw.rectangle((12 + i * 15, 54 - h, 22 + i * 15, 54), fill=(255, 255, 255, 255))
    return img


def main() -> None:
    """Entry point used by the repository's app.py."""
    st.set_page_config(page_title="tricks-kb: training tricks, graded", layout="wide", page_icon=favicon())
    _local.pages = _make_pages()
    current = st.navigation(list(_local.pages.values()), position="sidebar")
    st.set_page_config(page_icon=favicon())  # after navigation: keep the local favicon over the page icon
    from .resources import start_engine

    start_engine()  # every page warms the model up in the background, so a later search is quick
    current.run()
