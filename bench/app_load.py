"""Bounded load test of the app: N concurrent sessions searching for T seconds against localhost.

    .venv/bin/python bench/app_load.py [--sessions 6] [--seconds 45] [--client browser|ws] [--think S]
                                       [--index DIR] [--catalog DIR]

``--client browser`` (default): each session is its own browser context (its own Streamlit session) in one
headless chromium; it opens ``/?q=...``, then loops: type a query, press Enter, wait until the results
for that query are drawn. On a 2-core machine the browsers drawing N pages take most of the CPU, so
``--client ws`` drives each session over Streamlit's own WebSocket protocol instead (``_st_protocol``:
the same messages a browser sends; the server cannot tell the difference) and times Enter -> the
script run has sent its last delta: the server's latency, with the cores left to the server.
``--think S``: each session waits a random 0.5S-1.5S between queries, as a reader does (0: back to back).
Reports completed queries, throughput, latency (median, p95, max), errors (friendly error boxes,
Streamlit exception boxes, timeouts), whether the server stayed healthy, and its memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _app_common import QUERIES, RESULTS_FOR_JS, machine, server_env, summary  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from tricks_kb.testing import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402

QUERY_TIMEOUT_MS = 30_000


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            status = (p / "status").read_text()
            ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            if int(p.name) == pid or ppid == pid:
                total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


async def session(browser, url: str, sid: int, deadline: float, out: dict, think: float = 0.0) -> None:
    rng = random.Random(sid)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    try:
        try:  # on a busy machine 20 tabs opening at once can take longer than Playwright's 30 s default
            await page.goto(url + "/?q=" + QUERIES[sid % len(QUERIES)].replace(" ", "%20"), timeout=180_000)
            await page.wait_for_selector("[data-testid='stMain'] [data-testid='stPageLink']", timeout=180_000)
        except Exception:  # noqa: BLE001 - a session that never opened is a measured failure, not a crash
            out["not_opened"] = out.get("not_opened", 0) + 1
            return
        box = page.get_by_role("textbox", name="Search")
        n = 0
        while time.monotonic() < deadline:
            n += 1
            q = f"{rng.choice(QUERIES)} {sid}-{n}"
            await box.fill(q)
            t = time.perf_counter()
            await box.press("Enter")
            try:
                await page.wait_for_function(RESULTS_FOR_JS, arg=q, timeout=QUERY_TIMEOUT_MS, polling="raf")
                out["latencies"].append((time.perf_counter() - t) * 1000)
            except Exception:  # noqa: BLE001 - a timeout is a measured failure, not a crash of the bench
                out["timeouts"] += 1
            bad = await page.locator("[data-testid='stException']").count()
            bad += await page.get_by_text("Sorry, something went wrong").count()
            out["errors"] += int(bad > 0)
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
    finally:
        await ctx.close()


async def ws_session(url: str, sid: int, deadline: float, think: float, out: dict) -> None:
    """One session over the WebSocket protocol: open ``/?q=...``, then search until the deadline."""
    from _st_protocol import Session

    rng = random.Random(sid)
    s = Session(url)
    try:
        try:
            first = await s.open(QUERIES[sid % len(QUERIES)], timeout=180)
        except Exception:  # noqa: BLE001 - a session that never opened is a measured failure, not a crash
            out["not_opened"] = out.get("not_opened", 0) + 1
            return
        out["errors"] += int(first.failed)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            q = f"{rng.choice(QUERIES)} {sid}x{n}"
            try:
                r = await s.search(q, timeout=QUERY_TIMEOUT_MS / 1000)
            except Exception:  # noqa: BLE001 - a timeout or a dropped socket is a measured failure
                out["timeouts"] += 1
                return
            if not any(f"for “{q}”" in t.replace("\\", "") for t in r.text):  # the caption escapes markdown
                out["errors"] += 1  # the run finished without the results for this query
            else:
                out["latencies"].append(r.seconds * 1000)
            out["errors"] += int(r.failed)
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
    finally:
        await s.close()


async def run_ws(url: str, sessions: int, seconds: float, think: float) -> dict:
    out = {"latencies": [], "timeouts": 0, "errors": 0}
    from _st_protocol import Session

    warm = Session(url)  # the engine is loaded from the server's start; one run makes sure of it
    await warm.open("warmup", timeout=600)
    await warm.close()
    start = time.monotonic()
    await asyncio.gather(*(ws_session(url, i, start + seconds, think, out) for i in range(sessions)))
    out["elapsed"] = time.monotonic() - start
    return out


async def run(url: str, sessions: int, seconds: float, think: float = 0.0) -> dict:
    out = {"latencies": [], "timeouts": 0, "errors": 0}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # warm the engine once so the test measures steady state, not the model load
        warm = await browser.new_page()
        await warm.goto(url + "/?q=warmup")
        await warm.wait_for_function("() => document.body.innerText.includes('hybrid search')", timeout=600_000)
        await warm.close()
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(*(session(browser, url, i, deadline, out, think) for i in range(sessions)))
        out["elapsed"] = time.monotonic() - start
        await browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=45)
    ap.add_argument("--client", choices=("browser", "ws"), default="browser",
                    help="sessions in headless chromium, or over the WebSocket protocol (no browser)")
    ap.add_argument("--think", type=float, default=0.0, help="mean pause between a session's queries (s)")
    ap.add_argument("--index", help="index folder (default: the committed index/)")
    ap.add_argument("--catalog", help="catalog folder (default: tricks/)")
    args = ap.parse_args()
    env = server_env(args.index, args.catalog)
    log = Path(tempfile.mkdtemp(prefix="app-load-")) / "server.log"
    with start_server(log, env=env) as server:
        before = rss_mb(server.proc.pid)
        if args.client == "ws":
            out = asyncio.run(run_ws(server.url, args.sessions, args.seconds, args.think))
        else:
            out = asyncio.run(run(server.url, args.sessions, args.seconds, args.think))
        after = rss_mb(server.proc.pid)
        with urllib.request.urlopen(server.url + "/_stcore/health", timeout=5) as r:  # noqa: S310 - localhost
            healthy = r.read().decode().strip() == "ok"
        text = server.log()
        # app errors only: uvicorn may log websocket-disconnect tracebacks when a tab goes away
        tracebacks = text.count("StreamlitAPIException") + text.count("tricks_kb/ui")
    lat = out["latencies"]
    load = os.getloadavg()
    print(f"## Load test (app, {args.client} sessions, think {args.think:g} s)\n")
    print(f"Machine: {machine()}. Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.\n")
    print("| measure | value |\n|---|---|")
    print(f"| concurrent sessions x time | {args.sessions} x {out['elapsed']:.0f} s |")
    print(f"| queries completed | {len(lat)} ({len(lat) / out['elapsed']:.1f}/s) |")
    what = "Enter -> results drawn" if args.client == "browser" else "search sent -> script run finished"
    print(f"| latency, {what} | {summary(lat)} |")
    print(f"| timeouts (> {QUERY_TIMEOUT_MS // 1000} s) / pages showing an error | {out['timeouts']} / {out['errors']} |")
    print(f"| sessions that could not open the page within 180 s | {out.get('not_opened', 0)} |")
    print(f"| server healthy afterwards / app errors in its log | {healthy} / {tracebacks} |")
    print(f"| server memory (RSS) before -> after | {before:.0f} MB -> {after:.0f} MB |")
    return 0 if healthy and not out["errors"] and not tracebacks and not out.get("not_opened") else 1


if __name__ == "__main__":
    sys.exit(main())
