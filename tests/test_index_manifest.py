"""The index manifest is validated, every data file it names has a checksum, and builds only touch index folders.

Each corruption must make the index "corrupt: rebuild": search falls back to keywords with a notice and
``tricks-kb build --check`` fails. Builds refuse foreign folders, survive faiss's RuntimeError on a full
disk like any OSError, and build beside the real target of a symlinked index/ on another file system.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest

from tricks_kb import index as index_mod
from tricks_kb.build import build
from tricks_kb.catalog import load_catalog
from tricks_kb.cli import main
from tricks_kb.index import MANIFEST, BuildError, check, load_index
from tricks_kb.manifest import problem, span_problem
from tricks_kb.search import SearchEngine
from tricks_kb.vectors import make_faiss

pytestmark = pytest.mark.slow


def _manifest(idx: Path) -> dict:
    return json.loads((idx / MANIFEST).read_text())


def _write(idx: Path, m: dict) -> None:
    (idx / MANIFEST).write_text(json.dumps(m))


def _set(path: str, value):
    def edit(m: dict) -> None:
        *parents, last = path.split(".")
        node = m
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if value is KeyError:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return edit


CORRUPTIONS = {
    "model-as-string": _set("model", "all-MiniLM-L6-v2"),
    "dim-null": _set("model.dim", None),
    "dim-as-text": _set("model.dim", "384"),
    "files-as-list": _set("files", ["vectors.faiss", "bm25"]),
    "entries-as-list": _set("entries", ["dropout"]),
    "passage-malformed": _set("passages.0", {"entry": 1, "text": None}),
    "passage-not-a-mapping": _set("passages.3", "text"),
    "faiss-checksum-missing": _set("files.faiss_sha256", KeyError),
    "bm25-checksum-missing": _set("files.bm25_sha256", KeyError),
    "faiss-name-leaves-the-folder": _set("files.faiss", "../../etc/passwd"),
    "entry-span-out-of-range": _set("entries.dropout.passages", [5000, 3]),
}


def _assert_corrupt(cat: Path, idx: Path, capsys) -> None:
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert eng.status == "corrupt", eng.notice
    assert "tricks-kb build" in eng.notice and eng.embedder is None
    resp = eng.search("dropout", k=3)
    assert resp.mode == "keyword" and resp.hits and resp.notice == eng.notice
    assert main(["--catalog", str(cat), "build", "--check", "--index", str(idx)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_malformed_manifest_is_corrupt_rebuild(work, name, capsys):
    cat, idx = work
    m = _manifest(idx)
    CORRUPTIONS[name](m)
    assert problem(m) is not None or span_problem(m) is not None
    _write(idx, m)
    _assert_corrupt(cat, idx, capsys)


def test_the_real_manifest_is_valid(search_index):
    assert problem(_manifest(search_index.index_dir)) is None


def test_replaced_vectors_without_checksum(work, capsys):
    cat, idx = work
    m = _manifest(idx)
    f = idx / m["files"]["faiss"]
    vecs = np.random.default_rng(1).standard_normal((m["passage_count"], m["model"]["dim"])).astype("float32")
    index_mod._write_faiss(make_faiss(vecs / np.linalg.norm(vecs, axis=1, keepdims=True)), f)
    del m["files"]["faiss_sha256"]  # an attacker who swaps the vectors drops the checksum too
    _write(idx, m)
    _assert_corrupt(cat, idx, capsys)


def test_replaced_bm25_files_fail_their_checksum(work, capsys):
    cat, idx = work
    m = _manifest(idx)
    bm = idx / m["files"]["bm25"]
    params = bm / "params.index.json"
    data = json.loads(params.read_text())
    params.write_text(json.dumps(data, indent=3))  # still readable, but not what was built
    eng = SearchEngine.load(index_dir=idx, catalog_dir=cat)
    assert eng.status == "corrupt" and "checksum" in eng.notice
    assert main(["--catalog", str(cat), "build", "--check", "--index", str(idx)]) == 1
    assert "checksum" in capsys.readouterr().err


def test_check_passes_on_a_good_index(work):
    cat, idx = work
    assert check(idx, load_catalog([cat]).tricks).ok


def test_build_refuses_a_folder_that_is_not_an_index(work, tmp_path, capsys):
    cat, _ = work
    foreign = tmp_path / "mine"
    foreign.mkdir()
    files = {"manifest.json": '{"mine": true}', "vectors-notes.txt": "keep me", "bm25-old.md": "keep me too",
             "photo.jpg": "x"}
    for name, text in files.items():
        (foreign / name).write_text(text)
    rc = main(["--catalog", str(cat), "build", "--index", str(foreign)])
    err = capsys.readouterr().err
    assert rc == 1 and "is not a search index" in err and "nothing was written or deleted" in err
    assert {p.name: p.read_text() for p in foreign.iterdir()} == files
    assert not list(tmp_path.glob("index.tmp-*"))


def test_build_into_an_empty_or_new_folder_works(work, tmp_path):
    cat, _ = work
    tricks = load_catalog([cat]).tricks
    empty = tmp_path / "empty"
    empty.mkdir()
    build(tricks, empty)
    assert check(empty, tricks).ok and load_index(empty).faiss_index.ntotal > 0


def test_faiss_runtime_error_on_a_full_disk_is_a_clean_build_error(work, monkeypatch):
    cat, idx = work
    before = sorted(p.name for p in idx.iterdir())
    gen = _manifest(idx)["generation"]
    (cat / "dropout.yaml").write_text((cat / "dropout.yaml").read_text().replace("summary: ", "summary: Z. ", 1))

    def full(index, path):
        Path(path).write_bytes(b"partial")
        raise RuntimeError("Error in void faiss::FileIOWriter::operator()(const void*, size_t, size_t) at "
                           "impl/io.cpp:98: Error: 'ret == (nitems)' failed: write error: No space left on device")

    monkeypatch.setattr(index_mod, "_write_faiss", full)
    with pytest.raises(BuildError, match="the disk is full.*unchanged"):
        build(load_catalog([cat]).tricks, idx)
    assert sorted(p.name for p in idx.iterdir()) == before and _manifest(idx)["generation"] == gen
    assert not list(idx.parent.glob("index.tmp-*"))
    assert load_index(idx).faiss_index.ntotal == _manifest(idx)["passage_count"]


def test_index_symlinked_to_another_file_system_builds_beside_the_target(work, tmp_path):
    cat, idx = work
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.fail("this test needs /dev/shm on a file system other than the temp folder's")
    target = shm / f"tricks-kb-index-{uuid.uuid4().hex[:8]}" / "index"
    target.parent.mkdir()
    try:
        shutil.move(str(idx), target)
        idx.symlink_to(target, target_is_directory=True)
        (cat / "dropout.yaml").write_text((cat / "dropout.yaml").read_text().replace("summary: ", "summary: Z. ", 1))
        tricks = load_catalog([cat]).tricks
        report = build(tricks, idx)
        assert report.embedded > 0 and idx.is_symlink()
        assert check(idx, tricks).ok and SearchEngine.load(index_dir=idx, catalog_dir=cat).status == "ok"
        assert not list(tmp_path.glob("index.tmp-*")) and not list(target.parent.glob("index.tmp-*"))
    finally:
        shutil.rmtree(target.parent, ignore_errors=True)
