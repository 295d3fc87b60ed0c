"""Start-up cost of one-shot CLI commands and per-query embedding latency, ONNX versus torch, in one run.

    .venv/bin/python bench/bench_start.py [--rounds 7] [--baseline DIR] [--queries 50]

CLI: each round runs every command once, in turn, as a fresh process under ``/usr/bin/time`` (wall
time, CPU time, peak resident memory): ``tricks-kb show adamw`` (the reference), ``tricks-kb search
QUERY --json`` with the ONNX query path, the same with ``TRICKS_KB_EMBED=torch``, ``--mode bm25``, and,
with ``--baseline DIR`` (a checkout of an older revision), that revision's ``search``. Ratios to
``show`` are taken within each round, then the median over rounds: on a shared machine this cancels
load that drifts between rounds. Queries: the evaluation queries embedded one at a time on one thread
(the app's and the CLI's setting), by each backend in the same process, alternating; then whole hybrid
searches with the query cache cleared. Prints markdown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = "my loss spikes early in training"


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one run."""
    fmt = "TIMEV %e %U %S %M"
    t = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", fmt, *cmd], capture_output=True, text=True, env=env, cwd=cwd,
                         check=False)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr[-2000:]}")
    line = next(ln for ln in res.stderr.splitlines()[::-1] if ln.startswith("TIMEV "))
    _, _, user, system, peak_kb = line.split()
    return wall, float(user) + float(system), int(peak_kb) / 1024


def cli_section(rounds: int, baseline: Path | None) -> None:
    py = sys.executable
    base_env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    cli = [py, "-m", "tricks_kb"]
    cases: dict[str, tuple[list[str], dict[str, str], Path]] = {
        "`tricks-kb show adamw` (reference)": ([*cli, "show", "adamw"], base_env, ROOT),
        "`tricks-kb search QUERY --json` (ONNX query path)": ([*cli, "search", QUERY, "--json"], base_env, ROOT),
        "same, `TRICKS_KB_EMBED=torch`": ([*cli, "search", QUERY, "--json"], {**base_env, "TRICKS_KB_EMBED": "torch"},
                                          ROOT),
        "`tricks-kb search QUERY --json --mode bm25`": ([*cli, "search", QUERY, "--json", "--mode", "bm25"], base_env,
                                                         ROOT),
    }
    if baseline is not None:
        env = {**base_env, "PYTHONPATH": str(baseline / "src")}
        cases["baseline revision: `tricks-kb search QUERY --json`"] = ([*cli, "search", QUERY, "--json"], env, baseline)
    for cmd, env, cwd in cases.values():  # warm the page cache once
        timed(cmd, env, cwd)
    results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, (cmd, env, cwd) in cases.items():
            results[name].append(timed(cmd, env, cwd))
    ref = results[next(iter(cases))]
    print(f"### One-shot commands ({rounds} rounds, median)\n")
    print("| command | wall s | CPU s | wall / show (per round) | CPU / show | peak RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        ratio = statistics.median(r[0] / s[0] for r, s in zip(rows, ref, strict=True))
        cratio = statistics.median(r[1] / max(s[1], 1e-3) for r, s in zip(rows, ref, strict=True))
        peak = statistics.median(r[2] for r in rows)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {ratio:.2f}x | {cratio:.2f}x | {peak:.0f} |")
    print()


def query_section(n_queries: int) -> None:
    import numpy as np

    from tricks_kb.embed import load_embedder, model_info
    from tricks_kb.retrieval_eval import load_eval
    from tricks_kb.search import SearchEngine

    queries = list(load_eval(ROOT / "tests" / "eval")[0].values())[:n_queries]
    info = model_info()
    t = time.perf_counter()
    onnx = load_embedder(info=info, backend="onnx")
    t_onnx = time.perf_counter() - t
    t = time.perf_counter()
    torch_emb = load_embedder(info=info, backend="torch")
    t_torch = time.perf_counter() - t
    import torch

    torch.set_num_threads(1)  # the app's and the CLI's query setting (embed.Embedder does it for <= 4 texts)
    times: dict[str, list[float]] = {"onnx": [], "torch": []}
    for _ in range(3):
        for q in queries:
            for name, emb in (("onnx", onnx), ("torch", torch_emb)):
                t = time.perf_counter()
                emb.encode([q])
                times[name].append((time.perf_counter() - t) * 1000)
    base = SearchEngine.load()
    engines = {name: SearchEngine(base.tricks, base.passages, base.bm25, base.faiss_index, emb)
               for name, emb in (("onnx", onnx), ("torch", torch_emb))}
    search_ms: dict[str, list[float]] = {"onnx": [], "torch": []}
    for _ in range(3):
        for q in queries:
            for name, eng in engines.items():
                eng.clear_query_cache()
                t = time.perf_counter()
                eng.search(q, k=10)
                search_ms[name].append((time.perf_counter() - t) * 1000)
    cos = float(np.min((onnx.encode(queries) * torch_emb.encode(queries)).sum(axis=1)))
    print(f"### Query embedding ({len(queries)} evaluation queries x 3, one thread, alternating backends)\n")
    print("| backend | load (in a process that has imported it) s | embed one query p50 ms | p95 ms | "
          "whole hybrid search p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, load in (("onnx", t_onnx), ("torch", t_torch)):
        xs, ss = sorted(times[name]), sorted(search_ms[name])
        print(f"| {name} | {load:.2f} | {statistics.median(xs):.2f} | {xs[int(0.95 * (len(xs) - 1))]:.2f} | "
              f"{statistics.median(ss):.2f} | {ss[int(0.95 * (len(ss) - 1))]:.2f} |")
    ratio = statistics.median(times["torch"]) / statistics.median(times["onnx"])
    print(f"\ntorch / ONNX embedding time: {ratio:.1f}x; lowest cosine between the two on these queries: {cos:.7f}.\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--baseline", type=Path, help="checkout of an older revision to compare the CLI with")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    load0 = os.getloadavg()
    if not args.skip_cli:
        cli_section(args.rounds, args.baseline.resolve() if args.baseline else None)
    query_section(args.queries)
    load1 = os.getloadavg()
    print(f"Load average before / after (1 min): {load0[0]:.1f} / {load1[0]:.1f} on {os.cpu_count()} cores "
          "(other jobs share this machine).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
