"""The ONNX query path gives the torch path's vectors and rankings, and falls back to torch when its file is bad.

Uses the real export made by ``./dev.sh setup`` (in the default cache folder) and the real model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tricks_kb.embed import load_embedder, model_info
from tricks_kb.embed_onnx import (
    DATA_NAME,
    FILES,
    META_NAME,
    ONNX_NAME,
    VERIFIED_NAME,
    OnnxUnavailable,
    load_onnx_embedder,
    onnx_dir,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def info():
    return model_info()


@pytest.fixture(scope="module")
def onnx_emb(info):
    folder = onnx_dir(info)
    if not all((folder / n).is_file() for n in FILES):
        pytest.fail(f"no ONNX export in {folder}: run `./dev.sh setup` (or `python -m tricks_kb.embed_onnx`)")
    emb = load_onnx_embedder(info)
    assert emb.backend == "onnx"
    return emb


@pytest.fixture(scope="module")
def torch_emb(info):
    emb = load_embedder(info=info, backend="torch")
    assert emb.backend == "torch"
    return emb


@pytest.fixture(scope="module")
def shipped():
    """The shipped catalog, its committed index (built by the torch path) and its passages."""
    from tricks_kb.catalog import load_catalog
    from tricks_kb.index import check_against, load_index
    from tricks_kb.vectors import vectors_of

    tricks = load_catalog([ROOT / "tricks"]).tricks
    idx = load_index(ROOT / "index")
    assert check_against(idx.manifest, tricks).ok, "index/ is stale: run `tricks-kb build`"
    return tricks, idx, vectors_of(idx.faiss_index)


def test_every_catalog_passage_embeds_the_same_both_ways(onnx_emb, torch_emb, shipped):
    _, idx, torch_vecs = shipped
    texts = [p.text for p in idx.passages]
    vecs = onnx_emb.encode(texts)  # a build-sized batch: padding, length sorting, the multi-thread session
    assert vecs.shape == torch_vecs.shape and vecs.dtype == np.float32
    cos = (vecs * torch_vecs).sum(axis=1)
    worst = int(cos.argmin())
    assert cos.min() >= 0.9999, f"passage {worst} ({texts[worst][:60]!r}): cosine {cos[worst]:.6f}"
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # The committed vectors came from an earlier torch run: check the live torch path on the longest
    # passages (truncation at 256 tokens) and a spread of others, one at a time as queries are embedded.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    sample = order[:8] + order[8::60]
    live = torch_emb.encode([texts[i] for i in sample])
    one_by_one = np.vstack([onnx_emb.encode([texts[i]]) for i in sample])
    assert (one_by_one * live).sum(axis=1).min() >= 0.9999
    assert (live * torch_vecs[sample]).sum(axis=1).min() >= 0.9999


def test_long_text_is_truncated_like_sentence_transformers(onnx_emb, torch_emb):
    long = "learning rate warmup " * 400  # ~1200 tokens: both paths keep the first 256
    a, b = onnx_emb.encode([long]), torch_emb.encode([long])
    assert float((a * b).sum()) >= 0.9999
    c = onnx_emb.encode([long + " and something else entirely at the end"])
    assert float((a * c).sum()) >= 0.99999  # the tail past 256 tokens is cut off


def test_same_top_10_on_every_evaluation_query(onnx_emb, torch_emb, shipped):
    from tricks_kb.retrieval_eval import load_eval
    from tricks_kb.search import SearchEngine

    tricks, idx, _ = shipped
    queries, _ = load_eval(ROOT / "tests" / "eval", set(tricks))
    assert len(queries) >= 40
    engines = {name: SearchEngine(tricks, idx.passages, idx.bm25, idx.faiss_index, emb)
               for name, emb in (("onnx", onnx_emb), ("torch", torch_emb))}
    for mode in ("hybrid", "dense"):
        for qid, text in queries.items():
            got = {n: [h.id for h in e.search(text, k=10, mode=mode).hits] for n, e in engines.items()}
            assert got["onnx"] == got["torch"], (mode, qid, text)
            assert len(got["onnx"]) == 10


def _private_copy(info, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the real export in a private cache folder (TRICKS_KB_CACHE), to damage."""
    src = onnx_dir(info)
    monkeypatch.setenv("TRICKS_KB_CACHE", str(tmp_path / "cache"))
    dst = onnx_dir(info)
    dst.mkdir(parents=True)
    for name in (*FILES, META_NAME):
        shutil.copy(src / name, dst / name)
    return dst


def _flip_middle(path: Path, n: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    for i in range(mid, mid + n):  # same size; word-embedding rows no probe text uses, so only the sha256 tells
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["missing", "missing-weights", "truncated", "flipped-weights", "flipped-graph",
                                    "garbage-meta", "wrong-probes"])
def test_a_bad_export_is_refused_and_auto_falls_back_to_torch(damage, info, onnx_emb, tmp_path, monkeypatch):
    folder = _private_copy(info, tmp_path, monkeypatch)
    assert load_onnx_embedder(info).backend == "onnx"  # the private copy itself is fine
    if damage == "missing":
        (folder / ONNX_NAME).unlink()
    elif damage == "missing-weights":
        (folder / DATA_NAME).unlink()
    elif damage == "truncated":
        data = (folder / DATA_NAME).read_bytes()
        (folder / DATA_NAME).write_bytes(data[: len(data) // 3])
    elif damage == "flipped-weights":
        _flip_middle(folder / DATA_NAME)
    elif damage == "flipped-graph":
        _flip_middle(folder / ONNX_NAME, n=64)
    elif damage == "garbage-meta":
        (folder / META_NAME).write_text("{not json")
    elif damage == "wrong-probes":
        import json

        meta = json.loads((folder / META_NAME).read_text())
        meta["probes"] = {t: list(reversed(v)) for t, v in meta["probes"].items()}
        (folder / META_NAME).write_text(json.dumps(meta))
    with pytest.raises(OnnxUnavailable):
        load_onnx_embedder(info)
    with pytest.raises(OnnxUnavailable):
        load_embedder(info=info, backend="onnx")
    emb = load_embedder(info=info, backend="auto")
    assert emb.backend == "torch"
    assert "fast query path is unavailable" in emb.notice and "hint: run `./dev.sh setup`" in emb.notice
    q = ["my loss spikes early in training"]
    assert float((emb.encode(q) * onnx_emb.encode(q)).sum()) >= 0.9999


def test_env_override_picks_the_backend(info, onnx_emb, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_EMBED", "torch")
    assert load_embedder(info=info, backend="auto").backend == "torch"
    monkeypatch.setenv("TRICKS_KB_EMBED", "onnx")
    assert load_embedder(info=info).backend == "onnx"


def test_export_keeps_a_usable_file_without_importing_torch(info, onnx_emb, tmp_path):
    import subprocess
    import sys

    code = ("import sys; from tricks_kb.embed_onnx import main; rc = main([]); "
            "print(rc, [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
    assert "ONNX export of all-MiniLM-L6-v2 is in" in out.stdout


def test_export_writes_a_checked_file_into_an_empty_cache(info, tmp_path, monkeypatch):
    from tricks_kb.embed_onnx import export

    monkeypatch.setenv("TRICKS_KB_CACHE", str(tmp_path / "cache"))
    folder = export(info)
    assert folder == onnx_dir(info) and folder.is_relative_to(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, META_NAME, VERIFIED_NAME])  # no temp files
    emb = load_onnx_embedder(info)
    assert emb.path == folder / ONNX_NAME and (folder / DATA_NAME).stat().st_size > 80e6
    ref = load_embedder(info=info, backend="torch")
    q = ["does warmup matter with Adam"]
    assert float((emb.encode(q) * ref.encode(q)).sum()) >= 0.9999


def test_checksums_are_skipped_while_the_files_are_unchanged(info, onnx_emb, tmp_path, monkeypatch):
    import tricks_kb.embed_onnx as eo

    folder = _private_copy(info, tmp_path, monkeypatch)
    load_onnx_embedder(info)  # first load: hashes both files, then records their stamps
    assert (folder / VERIFIED_NAME).is_file()

    def no_hashing(path):
        raise AssertionError(f"hashed {path} again although it did not change")

    monkeypatch.setattr(eo, "sha256_file", no_hashing)
    assert load_onnx_embedder(info).backend == "onnx"
    (folder / DATA_NAME).touch()  # a new mtime: must be hashed again
    with pytest.raises(OnnxUnavailable, match="hashed .* again"):
        load_onnx_embedder(info)
