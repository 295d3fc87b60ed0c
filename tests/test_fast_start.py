"""Fast start: what each command imports, BM25 mode without a model, bm25s without its accelerators, the
fingerprint remembered by file stamp, and the app serving hybrid results from its first query."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "transformers")
QUERY = "my loss spikes early in training"


def _run_cli(argv: list[str], env: dict[str, str] | None = None) -> tuple[dict, str, str]:
    """Run the CLI in a fresh interpreter; return (report of what it imported, stdout, stderr)."""
    code = (
        "import sys, io, contextlib, json\n"
        "from tricks_kb.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    rc = main({argv!r})\n"
        "mods = ('torch', 'sentence_transformers', 'transformers', 'onnxruntime', 'faiss', 'numba', 'scipy')\n"
        "sys.stderr.write('\\nREPORT ' + json.dumps({'rc': rc, 'out': buf.getvalue(), "
        "'loaded': [m for m in mods if m in sys.modules]}) + '\\n')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})}, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("REPORT "))
    report = json.loads(line[len("REPORT "):])
    return report, report["out"], res.stderr.replace(line, "")


@pytest.mark.parametrize("argv", [["validate"], ["show", "adamw"], ["stats"], ["export", "--format", "json"],
                                  ["fmt", "--check"], ["build", "--check"]])
def test_commands_without_a_model_import_no_model_runtime(argv):
    rep, _, _ = _run_cli(argv)
    assert rep["rc"] == 0
    assert not set(rep["loaded"]) & {*HEAVY, "onnxruntime"}, rep["loaded"]


@pytest.mark.slow
def test_bm25_mode_loads_no_model_and_no_vectors():
    rep, out, err = _run_cli(["search", QUERY, "--mode", "bm25", "--json"])
    assert rep["rc"] == 0 and "note:" not in err
    assert not set(rep["loaded"]) & {*HEAVY, "onnxruntime", "faiss"}, rep["loaded"]
    hits = json.loads(out)
    assert len(hits) == 10 and all(h["score"] > 0 for h in hits)
    # Same ranking as a BM25 search through the fully loaded engine.
    from tricks_kb.search import SearchEngine

    full = SearchEngine.load()
    assert [h["id"] for h in hits] == [h.id for h in full.search(QUERY, mode="bm25").hits]
    assert full.search(QUERY, mode="bm25").mode == "bm25"


@pytest.mark.slow
def test_cli_search_with_the_onnx_export_never_imports_torch():
    rep, out, err = _run_cli(["search", QUERY, "--json"])
    assert rep["rc"] == 0 and "note:" not in err, err
    assert "onnxruntime" in rep["loaded"] and not set(rep["loaded"]) & set(HEAVY), rep["loaded"]
    assert not {"numba", "scipy"} & set(rep["loaded"]), "bm25s pulled in its unused accelerators"
    onnx_ids = [h["id"] for h in json.loads(out)]
    rep_t, out_t, _ = _run_cli(["search", QUERY, "--json"], env={"TRICKS_KB_EMBED": "torch"})
    assert "torch" in rep_t["loaded"]
    assert [h["id"] for h in json.loads(out_t)] == onnx_ids and len(onnx_ids) == 10


@pytest.mark.slow
def test_cli_search_without_the_export_says_so_and_gives_the_same_results(tmp_path):
    rep, out, _ = _run_cli(["search", QUERY, "--json"])
    rep_f, out_f, err_f = _run_cli(["search", QUERY, "--json"], env={"TRICKS_KB_CACHE": str(tmp_path / "empty")})
    assert rep_f["rc"] == 0 and "torch" in rep_f["loaded"]
    assert "note: the fast query path is unavailable (no ONNX export of the model in" in err_f
    assert "\nhint: run `./dev.sh setup`" in err_f
    assert [h["id"] for h in json.loads(out_f)] == [h["id"] for h in json.loads(out)]


def test_bm25s_without_numba_and_scipy_scores_the_same(tmp_path):
    """Scores from bm25s imported lean (our way) and with numba and scipy loaded first (its own way)."""
    code = (
        "import sys, json\n"
        "if sys.argv[1] == 'full':\n"
        "    import numba, scipy.sparse, tqdm.auto  # bm25s then sees and imports them\n"
        "from tricks_kb.catalog import load_catalog\n"
        "from tricks_kb.keywords import build_bm25, tokenize\n"
        "from tricks_kb.settings import catalog_dir as default_catalog_dir\n"
        "from tricks_kb.passages import catalog_passages\n"
        "ps = catalog_passages(load_catalog([default_catalog_dir()]).tricks)\n"
        "bm = build_bm25(ps)\n"
        "import bm25s  # already imported by build_bm25 (lean) or above (full)\n"
        "out = {q: [round(float(x), 5) for x in bm.get_scores([t for t in tokenize(q) if t in bm.vocab_dict])]\n"
        "       for q in ('loss spikes early', 'label smoothing', 'weight decay adam warmup')}\n"
        "print(json.dumps({'numba': bm25s.NUMBA_AVAILABLE, 'scores': out}))\n"
    )
    runs = {}
    for how in ("lean", "full"):
        res = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, cwd=ROOT,
                             check=True, timeout=300)
        runs[how] = json.loads(res.stdout.strip().splitlines()[-1])
    assert runs["lean"]["numba"] is False and runs["full"]["numba"] is True
    assert runs["lean"]["scores"] == runs["full"]["scores"]
    assert max(runs["lean"]["scores"]["label smoothing"]) > 0


def test_fingerprint_is_remembered_by_file_stamp(tmp_path, monkeypatch):
    import shutil

    from tricks_kb import embed

    monkeypatch.setenv("TRICKS_KB_CACHE", str(tmp_path / "cache"))
    copy = tmp_path / "model"
    shutil.copytree(embed.resolve_model()[1], copy)
    first = embed.fingerprint(copy)
    assert (tmp_path / "cache" / "fingerprints.json").is_file()

    def no_hashing(*a, **k):
        raise AssertionError("hashed again although no weight file changed")

    monkeypatch.setattr(embed, "_fingerprint_cached", no_hashing)
    assert embed.fingerprint(copy) == first  # from the stamp file, without reading 90 MB
    weights = next(copy.rglob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))  # a new mtime (and content): the stamp no longer matches
    monkeypatch.undo()
    monkeypatch.setenv("TRICKS_KB_CACHE", str(tmp_path / "cache"))
    assert embed.fingerprint(copy) != first
    (tmp_path / "cache" / "fingerprints.json").write_text("{broken")
    assert embed.fingerprint(copy) != first  # a damaged stamp file is ignored


def _maps(pid: int) -> str:
    """The shared libraries a process has mapped (threads share them)."""
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
@pytest.mark.browser
def test_app_first_query_after_health_is_hybrid_without_torch(search_index, tmp_path):
    from playwright.sync_api import sync_playwright

    from tricks_kb.testing import CHROMIUM, CHROMIUM_ARGS, start_server

    env = {"TRICKS_KB_CATALOG": str(search_index.catalog_dir), "TRICKS_KB_INDEX": str(search_index.index_dir)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        seen_loading: list[str] = []
        with start_server(tmp_path / "server.log", env=env) as server:
            t0 = time.monotonic()
            page.goto(server.url + "/?q=warmup")
            caption = page.get_by_text("results for “warmup”")
            while time.monotonic() - t0 < 90 and not caption.count():
                if page.get_by_text("Semantic search is still loading").count():
                    seen_loading.append("keyword results shown first")
                time.sleep(0.05)
            text = caption.first.inner_text()
            maps = _maps(server.proc.pid)
            log = server.log()
        browser.close()
    assert "(hybrid search" in text, text
    assert not seen_loading, "keyword results were shown before the hybrid ones"
    assert "onnxruntime" in maps and "libtorch" not in maps, "the app server loaded torch for queries"
    assert "Traceback" not in log
