"""Index build: manifest contents, incremental re-embedding, --check, atomic swap under SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tricks_kb.build import build
from tricks_kb.catalog import load_catalog
from tricks_kb.index import MANIFEST, check, load_index
from tricks_kb.passages import content_hash
from tricks_kb.search import SearchEngine

pytestmark = pytest.mark.slow


def _env(cat: Path, idx: Path, **extra) -> dict[str, str]:
    return dict(os.environ, TRICKS_KB_CATALOG=str(cat), TRICKS_KB_INDEX=str(idx), **extra)


def _cli(cat, idx, *args, **extra):
    return subprocess.run([sys.executable, "-m", "tricks_kb", *args], capture_output=True, text=True,
                          env=_env(cat, idx, **extra), timeout=300)


def test_manifest_describes_the_index(search_index):
    m = json.loads((search_index.index_dir / MANIFEST).read_text())
    tricks = load_catalog([search_index.catalog_dir]).tricks
    assert m["model"]["name"] == "all-MiniLM-L6-v2" and m["model"]["dim"] == 384 and len(m["model"]["fingerprint"]) == 16
    assert m["passage_count"] == len(m["passages"]) == sum(1 + len(t.claims) for t in tricks.values())
    assert {tid: e["hash"] for tid, e in m["entries"].items()} == {tid: content_hash(t) for tid, t in tricks.items()}
    assert {"tricks_kb", "faiss-cpu", "bm25s", "sentence-transformers"} <= set(m["versions"]) and m["schema"]
    for tid, e in m["entries"].items():
        start, count = e["passages"]
        assert {p["entry"] for p in m["passages"][start:start + count]} == {tid}
        assert count == 1 + len(tricks[tid].claims)
    idx = load_index(search_index.index_dir)
    assert idx.faiss_index.ntotal == m["passage_count"] and idx.faiss_index.d == 384
    assert type(idx.faiss_index).__name__ == "IndexIDMap2"


def test_incremental_build_reembeds_only_the_changed_entry(work):
    cat, idx = work
    path = cat / "dropout.yaml"
    path.write_text(path.read_text().replace("summary: ", "summary: Randomly zeroes units. ", 1))
    tricks = load_catalog([cat]).tricks
    res = check(idx, tricks)
    assert res.stale == ["dropout"] and not res.missing and not res.extra
    rep = build(tricks, idx)
    assert rep.embedded == 1 and rep.reused == rep.passages - 1  # only dropout's entry passage changed
    assert check(idx, tricks).ok
    # no change: nothing is rewritten
    before = sorted(p.name for p in idx.iterdir())
    rep = build(tricks, idx)
    assert rep.up_to_date and sorted(p.name for p in idx.iterdir()) == before
    # a removed entry and a new one
    (cat / "mixup.yaml").unlink()
    shutil.copy(Path(__file__).parent / "fixtures" / "good" / "fixture-good.yaml", cat / "fixture-good.yaml")
    tricks = load_catalog([cat]).tricks
    res = check(idx, tricks)
    assert res.missing == ["fixture-good"] and res.extra == ["mixup"]
    rep = build(tricks, idx)
    assert rep.embedded == 3 and check(idx, tricks).ok
    assert len([p for p in idx.iterdir() if p.name.startswith("vectors-")]) == 1  # old generation removed
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert eng.status == "ok" and eng.search("Fixture good trick", k=1).hits[0].id == "fixture-good"


def test_build_check_names_entries_and_never_loads_torch(work):
    cat, idx = work
    out = _cli(cat, idx, "build", "--check")
    assert out.returncode == 0, out.stderr
    (cat / "adamw.yaml").write_text((cat / "adamw.yaml").read_text().replace("verdict_reason: ", "verdict_reason: X. ", 1))
    (cat / "dropout.yaml").unlink()
    probe = ("import sys, tricks_kb.cli as c; rc = c.main(['build', '--check']); "
             "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules; sys.exit(rc)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(cat, idx), timeout=120)
    assert time.perf_counter() - t0 < 10
    assert out.returncode == 1, out.stderr
    assert "stale (1): adamw" in out.stderr and "extra in index (1): dropout" in out.stderr


def test_build_reports_skipped_invalid_entries(work):
    cat, idx = work
    (cat / "broken.yaml").write_text("id: broken\nname: [unclosed\n")
    out = _cli(cat, idx, "build")
    assert out.returncode == 0, out.stderr
    assert "skipped 1 invalid entry" in out.stderr and "broken.yaml" in out.stderr and "TK001" in out.stderr


STAGES = ["tmp-created", "faiss-written", "bm25-written", "manifest-written", "files-moved", "manifest-swapped"]


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_at_any_stage_leaves_a_usable_index(work, stage):
    cat, idx = work
    before = json.loads((idx / MANIFEST).read_text())
    (cat / "weight-decay.yaml").write_text(
        (cat / "weight-decay.yaml").read_text().replace("summary: ", "summary: Shrinks weights. ", 1))
    proc = subprocess.Popen([sys.executable, "-m", "tricks_kb", "build"], stderr=subprocess.PIPE, text=True,
                            stdout=subprocess.DEVNULL, env=_env(cat, idx, TRICKS_KB_BUILD_PAUSE_AT=stage))
    try:
        deadline = time.monotonic() + 240
        for line in proc.stderr:
            if line.strip() == f"pause-at:{stage}":
                break
            assert time.monotonic() < deadline
        else:
            pytest.fail(f"build never reached {stage}")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    after = json.loads((idx / MANIFEST).read_text())
    if stage == "manifest-swapped":
        assert after["generation"] != before["generation"]  # committed: the new index is in place
    else:
        assert after["generation"] == before["generation"]  # not committed: the old index is untouched
    tricks = load_catalog([cat]).tricks
    loaded = load_index(idx)  # verifies checksums and counts
    assert loaded.faiss_index.ntotal == after["passage_count"]
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert eng.status in ("ok", "stale") and eng.embedder is not None
    assert eng.search("weight decay", k=1).hits[0].id == "weight-decay"
    # the next build cleans up and succeeds
    rep = build(tricks, idx)
    assert check(idx, tricks).ok and (rep.up_to_date or rep.embedded <= 1)
    assert not list(idx.parent.glob("index.tmp-*"))
    assert len([p for p in idx.iterdir() if p.name.startswith("vectors-")]) == 1


def test_concurrent_builds_are_serialized(work):
    cat, idx = work
    (cat / "mixup.yaml").write_text((cat / "mixup.yaml").read_text().replace("summary: ", "summary: Blend. ", 1))
    first = subprocess.Popen([sys.executable, "-m", "tricks_kb", "build"], stderr=subprocess.PIPE, text=True,
                             stdout=subprocess.DEVNULL, env=_env(cat, idx, TRICKS_KB_BUILD_PAUSE_AT="files-moved"))
    second = None
    try:
        for line in first.stderr:
            if line.strip() == "pause-at:files-moved":
                break
        second = subprocess.Popen([sys.executable, "-m", "tricks_kb", "build"], stderr=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=_env(cat, idx))
        for line in second.stderr:
            if "waiting for another build" in line:
                break
        else:
            pytest.fail("the second build did not wait for the first")
        first.kill()  # the lock dies with its holder
        out, _ = second.communicate(timeout=240)
        assert second.returncode == 0 and "indexed" in out
    finally:
        first.kill()
        first.wait(30)
        if second is not None and second.poll() is None:
            second.kill()
    tricks = load_catalog([cat]).tricks
    assert check(idx, tricks).ok and load_index(idx).faiss_index.ntotal == json.loads((idx / MANIFEST).read_text())["passage_count"]
    assert len([p for p in idx.iterdir() if p.name.startswith("vectors-")]) == 1
