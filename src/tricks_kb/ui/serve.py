"""Run the Streamlit server with the search engine loading from the start: ``python -m tricks_kb.ui.serve APP [FLAGS]``.

Same arguments as ``streamlit run``. The engine (catalog, index, query model) starts loading in a
background thread before the server listens, so the first search after the health check is already
hybrid; ``streamlit run app.py`` works too, the engine then loads on the first page view.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Start loading the engine, then hand over to ``streamlit run``."""
    args = list(sys.argv[1:] if argv is None else argv)
    from .resources import start_engine

    start_engine()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    raise SystemExit(main())
