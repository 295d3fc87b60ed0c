"""Build, check and load the search index (faiss vectors + bm25s + manifest.json).

Layout of ``index/``::

    manifest.json          what was indexed, with which model; names the data files below
    vectors-<gen>.faiss    normalized passage vectors inside IndexIDMap2 (id = passage number):
                           IndexFlatIP (exact) up to IVF_MIN_PASSAGES passages, IndexIVFFlat above
    bm25-<gen>/            a bm25s index over the same passages, in the same order

A build writes everything into ``index.tmp-<pid>/`` next to ``index/``, moves the new data files
into ``index/`` under fresh generation names, and then replaces ``manifest.json`` with one
atomic rename: that rename is the commit point. Until it happens the old manifest still names
the old files, which are deleted only afterwards, so a build that fails or is killed at any
moment leaves the previous index usable. Leftovers of killed builds are cleaned by the next one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .passages import Passage, catalog_passages, content_hash
from .schema import Trick

FORMAT = 2  # 2: the manifest has a checksum for every data file (bm25_sha256) and is validated by manifest.py
PASSAGE_FORMAT = 1  # bump when passages.py changes what text an entry produces
MANIFEST = "manifest.json"
TMP_PREFIX = "index.tmp-"
KILL_POINT_ENV = "TRICKS_KB_BUILD_PAUSE_AT"  # test seam: pause at a named build stage
# Above this many passages an exact scan costs more than ~5 ms per query on a 2-core CPU (it is
# memory-bound: 36 ms for 670k x 384 float32), so the vectors go into an inverted file (IVF) instead:
# k-means lists, of which a query scans the nearest 1/32. IVF rather than HNSW because filters are
# often correlated with the query's topic: a graph walk then finds few kept passages (recall@10 0.39
# against 0.998 for IVF with more lists probed; bench/bench_search.py, docs/benchmarks.md).
IVF_MIN_PASSAGES = 100_000
IVF_TRAIN_PER_LIST = 64  # k-means training sample: this many vectors per list


def ivf_lists(n: int) -> int:
    """Number of IVF lists for ``n`` vectors (2.5 sqrt(n): 2048 lists for 670k passages)."""
    return max(1, int(2.5 * math.sqrt(n)))


class IndexError_(RuntimeError):
    """The index cannot be used; ``status`` says why and the message says how to fix it."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class BuildError(RuntimeError):
    """A build failed; the previous index is left as it was."""


def default_index_dir() -> Path:
    """Folder of the index: $TRICKS_KB_INDEX or <repo>/index."""
    from .catalog import repo_root

    env = os.environ.get("TRICKS_KB_INDEX")
    return Path(env) if env else repo_root() / "index"


def _versions() -> dict[str, str]:
    out = {"tricks_kb": __version__}
    for dist in ("faiss-cpu", "bm25s", "sentence-transformers", "torch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def schema_hash() -> str:
    """Hash of the entry JSON Schema (changes when the entry format changes)."""
    from .schema import json_schema

    return hashlib.sha256(json.dumps(json_schema(), sort_keys=True).encode()).hexdigest()[:16]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha256_tree(folder: Path) -> str:
    """One checksum over a folder's files: their names and contents, in name order."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0")
            h.update(_sha256_file(p).encode())
    return h.hexdigest()


def _pause_point(stage: str) -> None:
    """Test seam: when $TRICKS_KB_BUILD_PAUSE_AT names this stage, announce it and wait to be killed."""
    if os.environ.get(KILL_POINT_ENV) == stage:
        print(f"pause-at:{stage}", file=sys.stderr, flush=True)
        time.sleep(3600)


# --- manifest and check ---------------------------------------------------------------


@lru_cache(maxsize=4)
def _parse_json(path: str, stamp: tuple[int, int]) -> Any:
    """Parsed JSON, cached while the file's mtime and size are unchanged (callers must not mutate it)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _load_json(path: Path) -> Any:
    st = path.stat()
    return _parse_json(str(path), (st.st_mtime_ns, st.st_size))


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """Read and sanity-check manifest.json; raise IndexError_ with status missing/corrupt."""
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexError_("missing", f"no search index at {index_dir}: run `tricks-kb build`")
    try:
        data = _load_json(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexError_("corrupt", f"{path} is unreadable ({exc}): run `tricks-kb build`") from exc
    need = ("format", "model", "passage_count", "entries", "passages", "files")
    if not isinstance(data, dict) or any(k not in data for k in need):
        raise IndexError_("corrupt", f"{path} is incomplete or not a manifest: run `tricks-kb build`")
    if data["format"] != FORMAT:
        raise IndexError_("stale", f"{path} has format {str(data['format'])[:20]}, this version writes {FORMAT}: "
                                   "run `tricks-kb build`")
    from .manifest import problem

    why = problem(data)
    if why is not None:
        raise IndexError_("corrupt", f"{path} is corrupt ({why}): rebuild it with `tricks-kb build`")
    if not isinstance(data["passages"], list) or len(data["passages"]) != data["passage_count"]:
        raise IndexError_("corrupt", f"{path} lists {len(data['passages'])} passages but says "
                                     f"{data['passage_count']}: run `tricks-kb build`")
    return data


@dataclass
class CheckResult:
    """Freshness of the index against the catalog."""

    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problem: str | None = None  # whole-index problem (missing/corrupt/format)

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.extra or self.problem)

    def describe(self) -> str:
        """Human summary naming the entries that differ."""
        if self.problem:
            return self.problem
        parts = []
        for label, ids in (("stale", self.stale), ("missing from index", self.missing),
                           ("extra in index", self.extra)):
            if ids:
                parts.append(f"{label} ({len(ids)}): {', '.join(ids)}")
        return "; ".join(parts) if parts else "index is up to date"


def check_against(manifest: dict[str, Any], tricks: dict[str, Trick]) -> CheckResult:
    """Compare the manifest's per-entry content hashes with the catalog (no model, no vectors)."""
    res = CheckResult()
    if manifest.get("passage_format") != PASSAGE_FORMAT:
        res.problem = "index was built by an older passage format: run `tricks-kb build`"
        return res
    indexed = manifest["entries"]
    for tid, trick in sorted(tricks.items()):
        if tid not in indexed:
            res.missing.append(tid)
        elif indexed[tid].get("hash") != content_hash(trick):
            res.stale.append(tid)
    res.extra = sorted(set(indexed) - set(tricks))
    return res


def check(index_dir: Path, tricks: dict[str, Trick]) -> CheckResult:
    """Is ``index_dir`` fresh for these tricks? Reads only JSON: fast, never loads the model."""
    try:
        manifest = read_manifest(index_dir)
    except IndexError_ as exc:
        return CheckResult(problem=str(exc))
    from .manifest import span_problem

    res = check_against(manifest, tricks)
    files = manifest["files"]
    spans = span_problem(manifest)
    if spans:
        res.problem = f"{index_dir / MANIFEST} is corrupt ({spans}): run `tricks-kb build`"
        return res
    for key, digest in (("faiss", _sha256_file), ("bm25", _sha256_tree)):
        path = index_dir / files[key]
        if not path.exists():
            res.problem = f"index file for {key} ({files[key]}) is missing from {index_dir}: run `tricks-kb build`"
        elif digest(path) != files[key + "_sha256"]:
            res.problem = f"{path} does not match its checksum (corrupt): run `tricks-kb build`"
    return res


# --- loading --------------------------------------------------------------------------


@dataclass
class LoadedIndex:
    """A verified index in memory."""

    manifest: dict[str, Any]
    passages: list[Passage]
    faiss_index: Any
    bm25: Any
    dim: int


def load_index(index_dir: Path, verify: bool = True) -> LoadedIndex:
    """Load and cross-check the manifest, faiss file and bm25s folder; raise IndexError_ on any fault."""
    manifest = read_manifest(index_dir)
    files = manifest["files"]
    fpath = index_dir / str(files.get("faiss", ""))
    bpath = index_dir / str(files.get("bm25", ""))
    if not fpath.is_file() or not bpath.is_dir():
        raise IndexError_("corrupt", f"index files named by {index_dir / MANIFEST} are missing: run `tricks-kb build`")
    if verify and _sha256_file(fpath) != files["faiss_sha256"]:
        raise IndexError_("corrupt", f"{fpath} does not match its checksum (truncated or modified): "
                                     "run `tricks-kb build`")
    import faiss

    try:
        index = faiss.read_index(str(fpath))
    except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError with C++ text
        raise IndexError_("corrupt", f"{fpath} cannot be read ({str(exc).splitlines()[0]}): "
                                     "run `tricks-kb build`") from exc
    dim = int(manifest["model"].get("dim", -1))
    if index.d != dim:
        raise IndexError_("corrupt", f"{fpath} has dimension {index.d} but the manifest says {dim}: "
                                     "run `tricks-kb build`")
    if index.ntotal != manifest["passage_count"]:
        raise IndexError_("corrupt", f"{fpath} holds {index.ntotal} vectors but the manifest lists "
                                     f"{manifest['passage_count']} passages: run `tricks-kb build`")
    import bm25s

    try:
        bm25 = bm25s.BM25.load(str(bpath), load_corpus=False, show_progress=False)
        n_docs = int(bm25.scores["num_docs"])
    except Exception as exc:  # noqa: BLE001 - numpy/json errors from a damaged bm25s folder
        raise IndexError_("corrupt", f"{bpath} cannot be read ({exc}): run `tricks-kb build`") from exc
    if n_docs != manifest["passage_count"]:
        raise IndexError_("corrupt", f"{bpath} holds {n_docs} documents but the manifest lists "
                                     f"{manifest['passage_count']} passages: run `tricks-kb build`")
    from .manifest import span_problem

    spans = span_problem(manifest)
    if spans:
        raise IndexError_("corrupt", f"{index_dir / MANIFEST} is corrupt ({spans}): run `tricks-kb build`")
    if verify and _sha256_tree(bpath) != files["bm25_sha256"]:
        raise IndexError_("corrupt", f"{bpath} does not match its checksum (files replaced or modified): "
                                     "run `tricks-kb build`")
    try:
        passages = [Passage.from_dict(p) for p in manifest["passages"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexError_("corrupt", f"{index_dir / MANIFEST} has a malformed passage: run `tricks-kb build`") from exc
    return LoadedIndex(manifest=manifest, passages=passages, faiss_index=index, bm25=bm25, dim=dim)


def inner_index(index: Any) -> Any:
    """The IndexFlatIP or IndexIVFFlat inside an IndexIDMap2."""
    import faiss

    return faiss.downcast_index(index.index)


def vectors_of(index: Any):
    """All vectors of an IndexIDMap2 (flat or IVF) as an (n, d) float32 array, in id order."""
    import faiss
    import numpy as np

    inner, n, d = inner_index(index), index.ntotal, index.d
    vecs = np.zeros((n, d), dtype="float32")
    if isinstance(inner, faiss.IndexIVF):  # stored list by list, each vector under its sequence number
        lists = inner.invlists
        for no in range(inner.nlist):
            size = lists.list_size(no)
            if size:
                seq = faiss.rev_swig_ptr(lists.get_ids(no), size)
                codes = faiss.rev_swig_ptr(lists.get_codes(no), size * lists.code_size)
                vecs[seq] = np.frombuffer(codes, dtype="float32").reshape(size, d)
    elif n:
        vecs[:] = faiss.rev_swig_ptr(inner.get_xb(), n * d).reshape(n, d)
    out = np.empty_like(vecs)
    out[faiss.vector_to_array(index.id_map)] = vecs
    return out


# --- BM25 -----------------------------------------------------------------------------

_STEMMER = None


def stem_words(words: list[str]) -> list[str]:
    """English Snowball stems (PyStemmer); identity when it is unavailable."""
    global _STEMMER
    if _STEMMER is None:
        try:
            import Stemmer

            _STEMMER = Stemmer.Stemmer("english")
        except ImportError:
            _STEMMER = False
    return _STEMMER.stemWords(words) if _STEMMER else list(words)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without English stop words, stemmed: the same for passages and queries."""
    if not _STOP:
        from bm25s.stopwords import STOPWORDS_EN

        _STOP.update(STOPWORDS_EN)
    return stem_words([w for w in _WORD.findall(text.lower()) if w not in _STOP])


_STOP: set[str] = set()
_WORD = re.compile(r"(?u)\b\w\w+\b")


def build_bm25(passages: list[Passage]):
    """A bm25s index over the passages, documents in passage order."""
    import warnings

    import bm25s

    corpus = [tokenize(p.text) for p in passages]
    retriever = bm25s.BM25()
    with warnings.catch_warnings():
        # An empty catalog is reported to the user elsewhere; numpy's mean-of-empty warning adds nothing.
        warnings.simplefilter("ignore", RuntimeWarning)
        retriever.index(_as_tokenized(corpus), show_progress=False)
    return retriever


def _as_tokenized(corpus: list[list[str]]):
    import bm25s

    vocab: dict[str, int] = {"": 0}
    ids = []
    for doc in corpus:
        row = []
        for w in doc:
            if w not in vocab:
                vocab[w] = len(vocab)
            row.append(vocab[w])
        ids.append(row or [0])
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


# --- building -------------------------------------------------------------------------


@dataclass
class BuildReport:
    """What a build did."""

    entries: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    skipped: list[str] = field(default_factory=list)
    up_to_date: bool = False
    seconds: float = 0.0
    encode_seconds: float = 0.0


_GEN = r"[0-9]{14}-[0-9a-f]{6}"
INDEX_FILE_NAME = re.compile(rf"^(?:manifest\.json|vectors-{_GEN}\.faiss|bm25-{_GEN})$")


def refuse_foreign_folder(index_dir: Path) -> None:
    """BuildError unless ``index_dir`` is missing, empty, or holds only index files (nothing else is touched)."""
    if not index_dir.exists() and not index_dir.is_symlink():
        return
    if not index_dir.is_dir():
        raise BuildError(f"{index_dir} is not a folder: choose another place for the index with --index")
    try:
        foreign = sorted(p.name for p in index_dir.iterdir() if not INDEX_FILE_NAME.match(p.name))
    except OSError as exc:
        raise BuildError(_os_message(exc, index_dir)) from exc
    if foreign:
        shown = ", ".join(repr(n[:60]) for n in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise BuildError(f"{index_dir} is not a search index (it holds {shown}); nothing was written or deleted. "
                         "Give --index an empty or new folder, or the folder of an existing index")


def _clean_leftovers(index_dir: Path) -> None:
    """Remove temp folders of dead builds and data files the current manifest does not name."""
    parent = index_dir.parent
    if parent.is_dir():
        for d in parent.glob(TMP_PREFIX + "*"):
            pid = d.name.removeprefix(TMP_PREFIX).split("-")[0]
            if pid.isdigit() and _pid_alive(int(pid)):
                continue
            shutil.rmtree(d, ignore_errors=True)
    try:
        manifest = _load_json(index_dir / MANIFEST)
        keep = {manifest["files"]["faiss"], manifest["files"]["bm25"]}
    except (OSError, ValueError, KeyError, TypeError):
        return
    for p in index_dir.glob("*"):
        if INDEX_FILE_NAME.match(p.name) and p.name != MANIFEST and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_faiss(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def _faiss_write_error(exc: RuntimeError, path: Path) -> OSError:
    """faiss reports a failed write as RuntimeError with C++ text: the OSError it stands for."""
    text = str(exc)
    for needle, code in (("No space left", errno.ENOSPC), ("Disk quota", errno.EDQUOT),
                         ("Read-only file system", errno.EROFS), ("Permission denied", errno.EACCES)):
        if needle in text:
            return OSError(code, os.strerror(code), str(path))
    first = text.strip().splitlines()[-1][:200] if text.strip() else "faiss could not write the file"
    return OSError(errno.EIO, first, str(path))


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_faiss(vectors) -> Any:
    """IndexIDMap2 holding ``vectors`` with ids 0..n-1: exact IndexFlatIP, or IVF for large catalogs."""
    import faiss
    import numpy as np

    from .embed import configured_threads

    vectors = np.ascontiguousarray(vectors, dtype="float32")
    n, d = int(vectors.shape[0]), int(vectors.shape[1])
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(configured_threads())  # k-means and list assignment are parallel; queries use 1
    try:
        if n <= IVF_MIN_PASSAGES:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
        else:
            nlist = ivf_lists(n)
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.nprobe = max(16, nlist // 32)  # stored with the index; search widens it for filters
            sample = np.random.default_rng(0).choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
            ivf.train(vectors[np.sort(sample)])
            index = faiss.IndexIDMap2(ivf)
        if n:
            index.add_with_ids(vectors, np.arange(n, dtype="int64"))
    finally:
        faiss.omp_set_num_threads(before)
    return index


def write_index(index_dir: Path, passages: list[Passage], vectors, model: dict[str, Any],
                entries: dict[str, str]) -> None:
    """Write a complete index for ``passages``/``vectors`` and swap it in atomically.

    ``model`` holds name, fingerprint and dim; ``entries`` maps entry id to content hash.
    """
    index_dir = Path(index_dir)
    parent = index_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(_os_message(exc, index_dir)) from exc
    gen = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = parent / f"{TMP_PREFIX}{os.getpid()}-{gen}"
    faiss_name, bm25_name = f"vectors-{gen}.faiss", f"bm25-{gen}"
    try:
        tmp.mkdir()
        _pause_point("tmp-created")
        vector_index = make_faiss(vectors)
        try:
            _write_faiss(vector_index, tmp / faiss_name)
        except RuntimeError as exc:  # a full disk reaches us as RuntimeError from faiss's C++ writer
            raise _faiss_write_error(exc, tmp / faiss_name) from exc
        _pause_point("faiss-written")
        retriever = build_bm25(passages)
        retriever.save(str(tmp / bm25_name), show_progress=False)
        _pause_point("bm25-written")
        spans: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            spans.setdefault(p.entry_id, [i, 0])[1] += 1
        manifest = {
            "format": FORMAT,
            "passage_format": PASSAGE_FORMAT,
            "generation": gen,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "model": model,
            "passage_count": len(passages),
            "schema": schema_hash(),
            "versions": _versions(),
            "files": {"faiss": faiss_name, "faiss_sha256": _sha256_file(tmp / faiss_name), "bm25": bm25_name,
                      "bm25_sha256": _sha256_tree(tmp / bm25_name)},
            "entries": {tid: {"hash": h, "passages": spans.get(tid, [0, 0])} for tid, h in sorted(entries.items())},
            "passages": [p.to_dict() for p in passages],
        }
        _write_text(tmp / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        _fsync_dir(tmp)
        _pause_point("manifest-written")
        if not index_dir.exists():
            os.rename(tmp, index_dir)
            _fsync_dir(parent)
            return
        os.rename(tmp / faiss_name, index_dir / faiss_name)
        os.rename(tmp / bm25_name, index_dir / bm25_name)
        _pause_point("files-moved")
        os.replace(tmp / MANIFEST, index_dir / MANIFEST)  # the commit point
        _fsync_dir(index_dir)
        _pause_point("manifest-swapped")
    except OSError as exc:
        for name in (faiss_name, bm25_name):  # new files moved in before the failure are not referenced
            p = index_dir / name
            with contextlib.suppress(OSError):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        raise BuildError(_os_message(exc, index_dir)) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _clean_leftovers(index_dir)


def _os_message(exc: OSError, index_dir: Path) -> str:
    what = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EDQUOT: "the disk quota is exceeded"}.get(exc.errno or -1, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename else ""
    return (f"cannot write the index: {what}{where}. The previous index in {index_dir} is unchanged; "
            "free space or fix permissions, then run `tricks-kb build` again")


def _old_vectors(index_dir: Path, fingerprint: str) -> dict[str, Any]:
    """text hash -> vector from the current index when it was built with the same model (else empty)."""
    try:
        old = load_index(index_dir)
    except IndexError_:
        return {}
    if old.manifest["model"].get("fingerprint") != fingerprint:
        return {}
    vecs = vectors_of(old.faiss_index)
    return {p.text_hash: vecs[i] for i, p in enumerate(old.passages)}


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="passage", file=sys.stderr,
                disable=not sys.stderr.isatty() or total < 64)


@contextlib.contextmanager
def _build_lock(index_dir: Path):
    """Serialize builds of the same index (flock on its parent folder; no lock file is created).

    Without it, one build's clean-up could delete the data files another build has moved in but not
    yet committed.
    """
    import fcntl

    parent = index_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(parent, os.O_RDONLY)
    except OSError as exc:
        raise BuildError(_os_message(exc, index_dir)) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of {index_dir} to finish...", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def build(tricks: dict[str, Trick], index_dir: Path | None = None, model: str | None = None,
          force: bool = False, skipped: list[str] | None = None) -> BuildReport:
    """Embed the valid entries (reusing unchanged vectors) and write the index atomically."""
    # Build beside the real folder: with index/ a symlink to another file system, a temp folder next to
    # the link could not be renamed into it ("Invalid cross-device link").
    index_dir = Path(index_dir or default_index_dir()).resolve()
    refuse_foreign_folder(index_dir)
    with _build_lock(index_dir):
        refuse_foreign_folder(index_dir)
        return _build(tricks, index_dir, model, force, skipped)


def _build(tricks: dict[str, Trick], index_dir: Path, model: str | None, force: bool,
           skipped: list[str] | None) -> BuildReport:
    import numpy as np

    from .embed import load_embedder, model_info

    t0 = time.perf_counter()
    report = BuildReport(entries=len(tricks), skipped=list(skipped or []))
    try:
        _clean_leftovers(index_dir)
    except OSError as exc:
        raise BuildError(_os_message(exc, index_dir)) from exc
    info = model_info(model)
    if not force and index_dir.exists():
        with contextlib.suppress(IndexError_):
            manifest = read_manifest(index_dir)
            if check(index_dir, tricks).ok and manifest["model"].get("fingerprint") == info.fingerprint:
                report.up_to_date = True
                report.passages = manifest["passage_count"]
                report.reused = report.passages
                report.seconds = time.perf_counter() - t0
                return report
    passages = catalog_passages(tricks)
    reuse = {} if force else _old_vectors(index_dir, info.fingerprint)
    todo = [i for i, p in enumerate(passages) if p.text_hash not in reuse]
    dim = len(next(iter(reuse.values()))) if reuse else None
    embedder = None
    if todo or dim is None:
        embedder = load_embedder(info=info)
        dim = embedder.dim
    vectors = np.zeros((len(passages), dim), dtype="float32")
    for i, p in enumerate(passages):
        if p.text_hash in reuse:
            vectors[i] = reuse[p.text_hash]
    if todo:
        t1 = time.perf_counter()
        todo.sort(key=lambda i: len(passages[i].text))  # similar lengths per batch: little padding
        chunk = 256
        with _progress(len(todo)) as bar:
            for s in range(0, len(todo), chunk):
                idx = todo[s:s + chunk]
                vectors[idx] = embedder.encode([passages[i].text for i in idx])
                bar.update(len(idx))
        report.encode_seconds = time.perf_counter() - t1
    _pause_point("embedded")
    write_index(index_dir, passages, vectors,
                {"name": info.name, "fingerprint": info.fingerprint, "dim": int(dim)},
                {tid: content_hash(t) for tid, t in tricks.items()})
    report.passages = len(passages)
    report.embedded = len(todo)
    report.reused = len(passages) - len(todo)
    report.seconds = time.perf_counter() - t0
    return report
