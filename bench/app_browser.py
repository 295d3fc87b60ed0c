"""Browser benchmark of the app: server start to first results, and query round trips (median, p95).

    .venv/bin/python bench/app_browser.py [--index DIR] [--catalog DIR] [--rounds 40]

Starts the app server (``tricks_kb.testing.start_server``, as ``./dev.sh app`` does) on a free port, opens
``/?q=warmup`` in Debian's chromium as soon as the server is healthy, and times until the first result
card is drawn, which search mode drew it (hybrid, or keyword while the model loads), and until hybrid
results are drawn; then the server's resident memory and whether it mapped torch. Then types
queries into the search box and times each round trip: Enter -> the new results appear (the
results caption names the new query) and Enter -> the rerun has finished (every card drawn).
Prints a markdown section.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _app_common import QUERIES, RESULTS_FOR_JS, machine, server_env, summary  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tricks_kb.testing import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402

CARD = "[data-testid='stMain'] [data-testid='stPageLink']"
# The search mode named by the results caption ("... results for “q” (hybrid search, 12 ms) ...").
MODE_JS = """() => { const m = [...document.querySelectorAll("[data-testid='stCaptionContainer']")]
  .map(e => e.innerText.match(/\\((\\w+) search, /)).find(x => x); return m ? m[1] : null; }"""


def server_memory(pid: int) -> tuple[float, bool]:
    """(resident MiB, torch mapped) of the server process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS:"))) / 1024
    return rss, "libtorch" in Path(f"/proc/{pid}/maps").read_text()
WATCH_JS = """(q) => {
  window.__tkEnter = undefined; window.__tkDrawn = undefined; window.__tkDone = undefined;
  document.addEventListener('keydown', e => { if (e.key === 'Enter') window.__tkEnter = performance.now(); },
                            {once: true, capture: true});
  const drawn = () => [...document.querySelectorAll("[data-testid='stCaptionContainer']")]
      .some(e => e.innerText.includes('for \u201c' + q.slice(0, 80) + '\u201d'));
  const done = () => document.querySelector("[data-testid='stApp']").dataset.testScriptState === 'notRunning';
  const tick = () => {
    if (window.__tkEnter !== undefined && window.__tkDrawn === undefined && drawn()) {
      window.__tkDrawn = performance.now();
    }
    if (window.__tkDrawn !== undefined && done()) { window.__tkDone = performance.now(); }
    else { requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
}"""


TABS = 5
TAB_QUERIES = ["gradient clipping", "loss spikes early", "lora rank", "label smoothing", "batch size", "adam epsilon"]


def open_tabs(opener, url: str, n: int) -> tuple[list[float], list[float]]:
    """Open ``n`` new tabs on ``/?q=...`` (``opener``: a browser context, or a browser for a fresh profile each);
    seconds to the app shell and to the first result card of each."""
    shells, cards = [], []
    for i in range(n):
        tab = opener.new_page(viewport={"width": 1280, "height": 1000}) if hasattr(opener, "contexts") \
            else opener.new_page()
        t = time.monotonic()
        tab.goto(url + "/?q=" + TAB_QUERIES[i % len(TAB_QUERIES)].replace(" ", "%20"))
        tab.wait_for_selector("[data-testid='stApp']", timeout=60_000)
        shells.append(time.monotonic() - t)
        tab.wait_for_selector(CARD, timeout=60_000)
        cards.append(time.monotonic() - t)
        tab.close()
    return shells, cards


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", help="index folder (default: the committed index/)")
    ap.add_argument("--catalog", help="catalog folder (default: tricks/)")
    ap.add_argument("--rounds", type=int, default=40, help="query round trips to time")
    args = ap.parse_args()
    env = server_env(args.index, args.catalog)
    log = Path(tempfile.mkdtemp(prefix="app-bench-")) / "server.log"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # not part of the timing
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        t0 = time.monotonic()
        server = start_server(log, env=env)
        try:
            t_health = time.monotonic() - t0
            page.goto(server.url + "/?q=warmup")
            page.wait_for_selector(CARD, timeout=120_000)
            t_first = time.monotonic() - t0
            first_mode = page.evaluate(MODE_JS)
            page.wait_for_function(f"() => ({MODE_JS})() === 'hybrid'", timeout=120_000, polling="raf")
            t_hybrid = time.monotonic() - t0
            rss_start, torch_mapped = server_memory(server.proc.pid)
            page.wait_for_function("document.querySelector(\"[data-testid='stApp']\").dataset.testScriptState"
                                   " === 'notRunning'", timeout=120_000)
            box = page.get_by_role("textbox", name="Search")
            trips: list[float] = []
            in_page: list[float] = []
            in_page_done: list[float] = []
            for i in range(args.rounds):
                q = QUERIES[(i + 1) % len(QUERIES)] + ("" if i + 1 < len(QUERIES) else f" {i}")  # never a repeat
                box.fill(q)
                # In-page clock: the keydown and the first frame showing the new results, both timed by the
                # browser itself, so Playwright's own round trips (tens of ms each) are not counted.
                page.evaluate(WATCH_JS, q)
                t = time.perf_counter()
                box.press("Enter")
                page.wait_for_function(RESULTS_FOR_JS, arg=q, timeout=60_000, polling="raf")
                trips.append((time.perf_counter() - t) * 1000)
                page.wait_for_function("() => window.__tkDone !== undefined", timeout=60_000)
                drawn, done = page.evaluate("() => [window.__tkDrawn - window.__tkEnter, "
                                            "window.__tkDone - window.__tkEnter]")
                in_page.append(drawn)
                in_page_done.append(done)
            # new sessions once the model and index are loaded: tabs of the same browser (its cache holds the
            # app's scripts, as for anyone who opened the app before) and tabs of a fresh profile (first visit)
            warm_shell, warm_card = open_tabs(page.context, server.url, TABS)
            cold_shell, cold_card = open_tabs(browser, server.url, TABS)
            status = "index STALE" if page.locator(".st-key-index-banner").count() else "index ok"
            rss_end, _ = server_memory(server.proc.pid)
            load = os.getloadavg()
        finally:
            server.stop()
            browser.close()
    print("## Browser (app)\n")
    print(f"Machine: {machine()}.\n")
    print(f"Catalog: {args.catalog or 'tricks/'}; index: {args.index or 'index/'} ({status}); "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '2')}.\n")
    print("| measure | value |\n|---|---|")
    print(f"| server start -> /_stcore/health ok | {t_health:.2f} s |")
    print(f"| server start -> first result card drawn (`/?q=warmup`), drawn by | {t_first:.2f} s, {first_mode} "
          "search |")
    print(f"| server start -> hybrid results drawn | {t_hybrid:.2f} s |")
    print(f"| server memory (RSS) at the first hybrid results / after the queries | {rss_start:.0f} MiB / "
          f"{rss_end:.0f} MiB (torch {'loaded' if torch_mapped else 'not loaded'}) |")
    print(f"| new tab, same browser -> app shell / first result card (median of {TABS}) | "
          f"{statistics.median(warm_shell):.2f} s / {statistics.median(warm_card):.2f} s |")
    print(f"| new tab, fresh browser profile (first visit) -> app shell / first result card (median of {TABS}) | "
          f"{statistics.median(cold_shell):.2f} s / {statistics.median(cold_card):.2f} s |")
    print(f"| query round trip, Enter -> results drawn, timed in the page ({args.rounds} queries) | "
          f"{summary(in_page)} |")
    print(f"| same, until the rerun has finished (every result card drawn), timed in the page | "
          f"{summary(in_page_done)} |")
    print(f"| same, timed by the Playwright harness (adds its own round trips) | {summary(trips)} |")
    print(f"\nLoad average during the run (other jobs share this machine): {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f} (1/5/15 min).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
