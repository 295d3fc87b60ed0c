"""Run the Streamlit server with the search engine loading from the start: ``python -m tricks_kb.ui.serve APP [FLAGS]``.

Same arguments as ``streamlit run``, plus ``--expose HOST``: listen on every interface and accept only
the ``Host`` names HOST and localhost (the server binds localhost otherwise, ``.streamlit/config.toml``).
The engine (catalog, index, query model) starts loading in a background thread before the server
listens, so the first search after the health check is already hybrid; ``streamlit run app.py`` works
too, the engine then loads on the first page view.
"""

from __future__ import annotations

import re
import sys

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


class UsageError(ValueError):
    """A launcher argument that cannot work; the message says how to fix it."""


def expose_flags(args: list[str]) -> list[str]:
    """Replace ``--expose HOST`` in ``args`` by the Streamlit flags that serve other machines under HOST."""
    if "--expose" not in args:
        return args
    i = args.index("--expose")
    host = args[i + 1] if i + 1 < len(args) else ""
    if not host or host.startswith("-"):
        raise UsageError("--expose needs the host name clients use, e.g. --expose kb.example.org")
    if not _HOST.fullmatch(host):
        raise UsageError(f"--expose {host[:80]!r}: not a host name (letters, digits, '-' and '.'; no port or scheme)")
    allowed = [flag for h in (*LOCAL_HOSTS, host) for flag in ("--server.allowedHosts", h)]
    return [*args[:i], "--server.address", "0.0.0.0", *allowed, *args[i + 2:]]  # noqa: S104  # nosec B104 # the user asked to serve other machines


def _load_once_listening(timeout: float = 10.0) -> None:
    """Load the catalog and the engine as soon as Streamlit's runtime has started (or after ``timeout``).

    Loading during Streamlit's own import only made both slower (one interpreter lock); after it, the load
    overlaps the browser fetching and drawing the page, and the health check answers sooner. The runtime
    is looked up in ``sys.modules``, never imported here: two threads importing Streamlit at once can fail.
    """
    import time

    import numpy  # noqa: F401 - now, while nothing else imports it (two threads importing numpy at once can fail)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runtime = sys.modules.get("streamlit.runtime.runtime")
        instance = getattr(getattr(runtime, "Runtime", None), "_instance", None)
        if instance is not None and getattr(getattr(instance, "state", None), "name", "INITIAL") != "INITIAL":
            break
        time.sleep(0.02)
    from .resources import start_engine

    start_engine()


def main(argv: list[str] | None = None) -> int:
    """Start loading the engine, then hand over to ``streamlit run``."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args = expose_flags(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import threading

    threading.Thread(target=_load_once_listening, name="tricks-kb-start", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    raise SystemExit(main())
