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
    "rubric": ("Grading rubric", ":material/gavel:", "page_rubric"),
    "check": ("Check a recipe", ":material/fact_check:", "page_check"),
    "contribute": ("Contribute", ":material/edit_note:", "page_contribute"),
}
DEFAULT_PAGE = "search"
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


class _AbsoluteLink(st.Page):
    """A registered page whose link href is an absolute path (``/base/trick?trick=x``).

    ``st.page_link`` writes ``url_path`` into the href as given, so the default page's href was
    ``?tag=x``: relative, it opened an empty page under ``/trick`` in a new tab or from a copied link.
    Clicks still navigate inside the app (by the page's script hash, which is unchanged).
    """

    _href: str

    @property
    def url_path(self) -> str:
        return self._href


def href_path(url_path: str) -> str:
    """The absolute path of a page under the server's base URL path: '/trick', '/kb/trick', '/' for search."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    target = "" if url_path == DEFAULT_PAGE else url_path
    return "/" + "/".join(p for p in (base, target) if p) + ("/" if base and not target else "")


def link(url_path: str, label: str, query_params: dict[str, str] | None = None, **kwargs: object) -> None:
    """``st.page_link`` to one of the app's pages with an absolute, base-path-correct href."""
    import copy

    target = copy.copy(page(url_path))
    target.__class__ = _AbsoluteLink
    target._href = href_path(url_path)
    st.page_link(target, label=label, query_params=query_params, **kwargs)


def _make_pages() -> dict[str, st.Page]:
    return {path: st.Page(guarded(_render_of(module)), title=title, icon=icon, url_path=path,
                          default=path == DEFAULT_PAGE)
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
    from . import style
    from .resources import start_engine

    style.apply()

    start_engine()  # every page warms the model up in the background, so a later search is quick
    current.run()
