"""Query embeddings without torch: the model's ONNX export run by ONNX Runtime, its own fast tokenizer, numpy pooling.

The ONNX file is made once from the installed model (``export``, which needs torch) into a cache folder
outside git keyed by the model's weight fingerprint: ``$TRICKS_KB_CACHE`` or ``$XDG_CACHE_HOME/tricks-kb``
or ``~/.cache/tricks-kb``, under ``onnx/<fingerprint>/``: the graph in ``model.onnx`` and the weights beside
it in ``model.onnx.data`` (ONNX external data, which ONNX Runtime maps into memory: a session loads in a
quarter of the time it takes to parse them inline). ``meta.json`` holds both files' sha256 and the vectors
that sentence-transformers gave for a few probe texts at export time. Loading refuses the export
(``OnnxUnavailable``, and callers fall back to torch) when a sha256 differs (checked whenever a file's size,
mtime or inode differ from those last verified, kept in ``verified.json``: hashing 90 MB on every start
would cost a third of a one-shot search) or when re-embedding the probes gives a cosine under
``PROBE_MIN_COSINE``. Nothing is ever downloaded. ``python -m tricks_kb.embed_onnx`` makes the export.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from . import settings
from .embed import ModelError, ModelInfo, cache_dir, configured_threads
from .manifest import sha256_file

FORMAT = 3  # bump when the export or meta.json changes: older files are then remade
PROBE_MIN_COSINE = 0.9999
LOAD_PROBES = ("warm-up", "Does learning-rate warmup still matter with Adam and a large batch?")
EXPORT_ONLY_PROBES = (" ".join(["gradient clipping stabilises early training of deep transformers"] * 60),)
ONNX_NAME, DATA_NAME, META_NAME, VERIFIED_NAME = "model.onnx", "model.onnx.data", "meta.json", "verified.json"
FILES = (ONNX_NAME, DATA_NAME)


class OnnxUnavailable(ModelError):
    """The ONNX path cannot be used (no file, damaged file, no onnxruntime): callers fall back to torch."""


def onnx_dir(info: ModelInfo) -> Path:
    """Folder of the ONNX export of this model (keyed by its weight fingerprint)."""
    return cache_dir() / "onnx" / info.fingerprint


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3  # warnings about unused initializers are noise here
    if threads == 1:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _tokenizer(model_path: Path, max_len: int) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    pad = tok.padding or {}
    # tokenizer.json pads every text to 128 tokens and truncates at 128; sentence-transformers pads to the
    # longest text of the batch and truncates at the model's max_seq_length (256): do the same.
    tok.enable_truncation(max_len)
    tok.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"),
                       pad_type_id=pad.get("pad_type_id", 0))
    return tok


class OnnxEmbedder:
    """Same interface as ``embed.Embedder`` (``info``, ``dim``, ``encode``) on ONNX Runtime; thread-safe."""

    backend = "onnx"

    def __init__(self, info: ModelInfo, folder: Path, meta: dict[str, Any]) -> None:
        self.info = info
        self.dim = int(meta["dim"])
        self.threads = configured_threads()
        self.notice: str | None = None
        self.path = folder / ONNX_NAME
        self._tok = _tokenizer(info.path, int(meta["max_seq_length"]))
        query = _session(self.path, settings.query_threads())
        self._sessions = {settings.query_threads(): query}  # by thread count (settings.threads_for)
        self._inputs = {i.name for i in query.get_inputs()}
        self._lock = threading.Lock()

    def _run(self, sess: Any, texts: list[str]):
        import numpy as np

        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = sess.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        m = mask[:, :, None].astype(np.float32)
        vecs = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False):
        """Embed texts as L2-normalized float32 rows, like ``Embedder.encode`` (``progress`` is ignored)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        threads = settings.threads_for(len(texts))
        with self._lock:
            sess = self._sessions.get(threads)
            if sess is None:  # ONNX Runtime fixes a session's threads: one more session for batches
                sess = self._sessions[threads] = _session(self.path, threads)
            if len(texts) <= settings.QUERY_BATCH_MAX:
                out = self._run(sess, list(texts))
            else:  # sorted by length, so each batch pads little (as sentence-transformers does)
                order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
                out = np.zeros((len(texts), self.dim), dtype=np.float32)
                for s in range(0, len(order), max(1, batch_size)):
                    idx = order[s:s + batch_size]
                    out[idx] = self._run(sess, [texts[i] for i in idx])
        return np.ascontiguousarray(out, dtype="float32")


def _read_meta(folder: Path, info: ModelInfo) -> dict[str, Any]:
    meta_path = folder / META_NAME
    if not all((folder / n).is_file() for n in FILES) or not meta_path.is_file():
        raise OnnxUnavailable(f"no ONNX export of the model in {folder}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OnnxUnavailable(f"{meta_path} is unreadable ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("fingerprint") != info.fingerprint:
        raise OnnxUnavailable(f"{meta_path} is from another export format or model")
    files = meta.get("files")
    if not isinstance(files, dict) or sorted(files) != sorted(FILES):
        raise OnnxUnavailable(f"{meta_path} is damaged (no file list)")
    for name, want in files.items():
        size = (folder / name).stat().st_size
        if not isinstance(want, dict) or want.get("bytes") != size:
            raise OnnxUnavailable(f"{folder / name} has {size} bytes, {want.get('bytes') if isinstance(want, dict) else '?'} "
                                  "expected: it is damaged")
    return meta


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _stamps(folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """What verified.json must say for the files as they are now."""
    return {n: {"stamp": _stamp(folder / n), "sha256": meta["files"][n]["sha256"]} for n in FILES}


def _verify_checksums(folder: Path, meta: dict[str, Any]) -> None:
    """Hash the export's files unless they are unchanged since they last matched the sha256 in meta.json."""
    now = _stamps(folder, meta)
    try:
        if json.loads((folder / VERIFIED_NAME).read_text(encoding="utf-8")) == now:
            return
    except (OSError, ValueError):
        pass
    for name in FILES:
        if sha256_file(folder / name) != meta["files"][name]["sha256"]:
            raise OnnxUnavailable(f"{folder / name} is damaged (its sha256 differs from the one recorded at export)")
    try:
        _write_atomic(folder / VERIFIED_NAME, json.dumps(now).encode())
    except OSError:
        pass  # read-only cache: hash again next time


def _check_probes(emb: OnnxEmbedder, meta: dict[str, Any], texts: tuple[str, ...]) -> float:
    import numpy as np

    want = np.asarray([meta["probes"][t] for t in texts], dtype=np.float32)
    got = emb.encode(list(texts))
    return float((want * got).sum(axis=1).min())


def load_onnx_embedder(info: ModelInfo) -> OnnxEmbedder:
    """The ONNX embedder for this model; raise OnnxUnavailable when the file is missing, damaged or unfaithful."""
    folder = onnx_dir(info)
    meta = _read_meta(folder, info)
    try:
        _verify_checksums(folder, meta)
        emb = OnnxEmbedder(info, folder, meta)
        cos = _check_probes(emb, meta, LOAD_PROBES)  # also the warm-up run
    except OnnxUnavailable:
        raise
    except ImportError as exc:
        raise OnnxUnavailable(f"onnxruntime or tokenizers is not installed ({exc})") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise OnnxUnavailable(f"{folder / META_NAME} is damaged ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for a damaged file
        raise OnnxUnavailable(f"{folder / ONNX_NAME} cannot be loaded ({type(exc).__name__}: {exc})") from exc
    if not cos >= PROBE_MIN_COSINE:
        raise OnnxUnavailable(f"{folder / ONNX_NAME} gives other vectors than the model (cosine {cos:.6f} on a "
                              "probe text): it is damaged")
    return emb


# --- export (needs torch) ------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _supported(model_path: Path) -> None:
    """Refuse models whose pooling is not mean pooling (the only one reproduced here)."""
    try:
        modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        cfg = json.loads((model_path / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise OnnxUnavailable(f"cannot read the pooling of the model in {model_path} ({exc})") from exc
    kinds = {k for k, v in cfg.items() if k.startswith("pooling_mode_") and v}
    if kinds != {"pooling_mode_mean_tokens"} or any(m["type"].endswith("Dense") for m in modules):
        raise OnnxUnavailable(f"the ONNX path supports mean-pooled models only (this one: {sorted(kinds)})")
    if not (model_path / "tokenizer.json").is_file():
        raise OnnxUnavailable(f"the model in {model_path} has no tokenizer.json (a fast tokenizer is needed)")


def export(info: ModelInfo, force: bool = False, fuse: bool = True) -> Path:
    """Export the model to ONNX in the cache (atomically) and check it against sentence-transformers.

    The legacy TorchScript exporter (opset 17) traces a wrapper returning ``last_hidden_state``, with
    eager attention so that ONNX Runtime's transformer optimizer can fuse attention, GELU and layer
    norms (``fuse``). Returns the folder; a usable export already there is kept unless ``force``.
    """
    folder = onnx_dir(info)
    if not force:
        try:
            _read_meta(folder, info)
            return folder
        except OnnxUnavailable:
            pass
    _supported(info.path)
    from .embed import _offline_env

    _offline_env()
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(configured_threads())
    st = SentenceTransformer(str(info.path), device="cpu", model_kwargs={"attn_implementation": "eager"})
    probes = list(LOAD_PROBES + EXPORT_ONLY_PROBES)
    want = st.encode(probes, normalize_embeddings=True, convert_to_numpy=True)

    class LastHidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    wrapper = LastHidden(st[0].auto_model).eval()
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".export-{uuid.uuid4().hex}"
    work.mkdir()
    try:
        raw = work / "raw.onnx"
        ids = torch.ones(2, 16, dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        import warnings

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's warnings about the legacy exporter and masks
            torch.onnx.export(wrapper, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(raw), dynamo=False,
                              opset_version=17, input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
                              do_constant_folding=True)
        import onnx

        model = onnx.load(str(raw))
        if fuse:
            from onnxruntime.transformers.optimizer import optimize_model

            cfg = st[0].auto_model.config
            model = optimize_model(str(raw), model_type="bert", num_heads=cfg.num_attention_heads,
                                   hidden_size=cfg.hidden_size, opt_level=0).model
        probe_dir = work / "probe"
        probe_dir.mkdir()
        onnx.save_model(model, str(probe_dir / ONNX_NAME), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=DATA_NAME, size_threshold=1024)
        meta = {"format": FORMAT, "fingerprint": info.fingerprint, "model": info.name, "dim": int(want.shape[1]),
                "max_seq_length": int(st.max_seq_length), "fused": fuse, "opset": 17, "torch": torch.__version__,
                "files": {n: {"bytes": (probe_dir / n).stat().st_size, "sha256": sha256_file(probe_dir / n)}
                          for n in FILES},
                "probes": {t: [float(x) for x in v] for t, v in zip(probes, want, strict=True)}}
        emb = OnnxEmbedder(info, probe_dir, meta)
        cos = _check_probes(emb, meta, tuple(probes))
        if not cos >= PROBE_MIN_COSINE:
            raise OnnxUnavailable(f"the ONNX export disagrees with sentence-transformers (cosine {cos:.6f})")
        got = emb.encode(probes[:2] * 40)  # the batch path: padding and the multi-thread session
        if float((got * np.vstack([want[:2]] * 40)).sum(axis=1).min()) < PROBE_MIN_COSINE:
            raise OnnxUnavailable("the ONNX export disagrees with sentence-transformers on a padded batch")
        del emb
        (folder / META_NAME).unlink(missing_ok=True)  # no moment where new files sit beside an old meta
        for name in FILES:
            os.replace(probe_dir / name, folder / name)
        _write_atomic(folder / VERIFIED_NAME, json.dumps(_stamps(folder, meta)).encode())
        _write_atomic(folder / META_NAME, json.dumps(meta).encode())  # last: the export is complete only now
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    """``python -m tricks_kb.embed_onnx [--force] [--model PATH]``: make the ONNX export (used by dev.sh setup)."""
    from .embed import model_info

    p = argparse.ArgumentParser(prog="python -m tricks_kb.embed_onnx", description=__doc__.splitlines()[0])
    p.add_argument("--model", help="local sentence-transformers folder (default: the packaged all-MiniLM-L6-v2)")
    p.add_argument("--force", action="store_true", help="export again even when a usable file is there")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        info = model_info(args.model)
        folder = onnx_dir(info)
        if not args.force:
            try:
                _read_meta(folder, info)
                print(f"ONNX export of {info.name} is in {folder}")
                return 0
            except OnnxUnavailable:
                pass
        export(info, force=True)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("hint: queries will use the slower torch path; the ONNX export needs torch, onnx and onnxruntime "
              "(`./dev.sh setup` installs them)", file=sys.stderr)
        return 1
    print(f"exported {info.name} to ONNX in {folder} ({time.perf_counter() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
