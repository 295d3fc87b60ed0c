"""Build throughput vs raw ``model.encode``, the single-entry incremental rebuild, and CLI process times.

Usage: .venv/bin/python bench/bench_build.py

1. Raw: ``SentenceTransformer.encode`` of exactly the passages a build embeds (same model object,
   same run, same batch size), timed alone.
2. Full build (``index.build(force=True)``) in a tmp dir with the model already loaded: overhead =
   build time / raw encode time - 1 (catalog hashing, bm25s, faiss write, manifest, swap).
3. Incremental: change one entry's summary, rebuild in a fresh process; report the process time and
   the part spent loading the model.
4. One-shot ``tricks-kb search`` process time, and how much of it is imports and model load.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t


def main() -> None:
    from tricks_kb.build import build
    from tricks_kb.catalog import load_catalog
    from tricks_kb.embed import load_embedder
    from tricks_kb.passages import catalog_passages

    print(f"load average at start: {os.getloadavg()}")
    tricks = load_catalog([ROOT / "tricks"]).tricks
    texts = [p.text for p in catalog_passages(tricks)]
    t = time.perf_counter()
    emb = load_embedder()
    load_s = time.perf_counter() - t
    emb.model.encode(texts[:16], batch_size=64)  # warm-up
    raw, full = [], []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(2):
            t = time.perf_counter()
            emb.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            rep = build(tricks, Path(d) / "index", force=True)
            full.append(time.perf_counter() - t)
            assert rep.embedded == len(texts)
    r, f = min(raw), min(full)
    print(f"\npassages: {len(texts)} from {len(tricks)} entries; model load in-process {load_s:.2f}s")
    print(f"raw model.encode: {r:.2f}s ({len(texts) / r:.0f} passages/s); runs {[round(x, 2) for x in raw]}")
    print(f"full build:       {f:.2f}s ({len(texts) / f:.0f} passages/s); runs {[round(x, 2) for x in full]}")
    print(f"build overhead over raw encode: {100 * (f / r - 1):+.1f}%")

    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as d:
        cat, idx = Path(d) / "tricks", Path(d) / "index"
        shutil.copytree(ROOT / "tricks", cat)
        shutil.copytree(ROOT / "index", idx)
        env.update(TRICKS_KB_CATALOG=str(cat), TRICKS_KB_INDEX=str(idx))
        cli = [sys.executable, "-m", "tricks_kb"]
        subprocess.run([*cli, "build"], check=True, capture_output=True, env=env)  # bring the copy up to date
        victim = cat / "dropout.yaml"
        incr, phases = [], []
        for i in range(3):
            victim.write_text(victim.read_text().replace("summary: ", f"summary: Edit {i}. ", 1))
            incr.append(_timed([*cli, "build"], env))
        for i in range(3):
            victim.write_text(victim.read_text().replace("summary: ", f"summary: Again {i}. ", 1))
            phases.append(_phases(PHASED_BUILD, env))
        one = [_timed([*cli, "search", "my loss spikes early in training", "--json"], env) for _ in range(3)]
        one_phases = [_phases(PHASED_SEARCH, env) for _ in range(3)]
        check = [_timed([*cli, "build", "--check"], env) for _ in range(3)]
    med = statistics.median

    def mp(rows: list[dict], key: str) -> float:
        return med([r[key] for r in rows])

    print(f"\nsingle-entry incremental rebuild, `tricks-kb build` process: median {med(incr):.2f}s, "
          f"runs {[round(x, 2) for x in incr]}")
    print(f"  phases timed inside the process (median of 3): imports {mp(phases, 'imports'):.2f}s, "
          f"model load {mp(phases, 'model'):.2f}s, the rebuild itself (catalog, hashes, 1 passage embedded, "
          f"bm25s, faiss, manifest, swap) {mp(phases, 'work'):.2f}s")
    print(f"one-shot `tricks-kb search --json` process: median {med(one):.2f}s, runs {[round(x, 2) for x in one]}")
    print(f"  phases timed inside the process (median of 3): imports {mp(one_phases, 'imports'):.2f}s, "
          f"model load {mp(one_phases, 'model'):.2f}s, catalog + index load + query {mp(one_phases, 'work'):.2f}s")
    print(f"`tricks-kb build --check` process: median {med(check):.2f}s")
    print(f"load average at end: {os.getloadavg()}")


PHASED_BUILD = """
import json, time
t0 = time.perf_counter()
import sentence_transformers, faiss, bm25s, tricks_kb.cli, tricks_kb.index, tricks_kb.search
t1 = time.perf_counter()
from tricks_kb.embed import load_embedder
load_embedder()
t2 = time.perf_counter()
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    assert tricks_kb.cli.main(["build"]) == 0
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "model": t2 - t1, "work": t3 - t2}))
"""
PHASED_SEARCH = PHASED_BUILD.replace('["build"]', '["search", "my loss spikes early in training", "--json"]')


def _phases(code: str, env: dict[str, str]) -> dict[str, float]:
    import json

    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
