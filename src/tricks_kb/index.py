"""The on-disk search index: manifest, freshness check, verified load, atomic write and the build lock.

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
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__, settings
from .keywords import build_bm25, load_bm25, tokenizer_settings
from .manifest import (  # noqa: F401  # re-exported: the index's public names
    FORMAT,
    INDEX_FILE_NAME,
    MANIFEST,
    IndexError_,
    _load_json,
    _sha256_tree,
    read_manifest,
    sha256_file,
)
from .passages import Passage, content_hash
from .schema import Trick

PASSAGE_FORMAT = 1  # bump when passages.py changes what text an entry produces
TMP_PREFIX = "index.tmp-"


class BuildError(RuntimeError):
    """A build failed; the previous index is left as it was."""


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


def pause_point(stage: str) -> None:
    """Test seam: when $TRICKS_KB_BUILD_PAUSE_AT names this stage, announce it and wait to be killed."""
    if settings.build_pause_at() == stage:
        print(f"pause-at:{stage}", file=sys.stderr, flush=True)
        time.sleep(3600)


# --- manifest and check ---------------------------------------------------------------


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
    if manifest.get("tokenizer") != tokenizer_settings():
        res.problem = ("index was built with another keyword tokenizer "
                       f"({manifest.get('tokenizer')} instead of {tokenizer_settings()}): run `tricks-kb build`")
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
    for key, digest in (("faiss", sha256_file), ("bm25", _sha256_tree)):
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
    if verify and sha256_file(fpath) != files["faiss_sha256"]:
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
    try:
        bm25 = load_bm25(str(bpath))
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


# --- writing --------------------------------------------------------------------------


def refuse_foreign_folder(index_dir: Path) -> None:
    """BuildError unless ``index_dir`` is missing, empty, or holds only index files (nothing else is touched)."""
    if not index_dir.exists() and not index_dir.is_symlink():
        return
    if not index_dir.is_dir():
        raise BuildError(f"{index_dir} is not a folder: choose another place for the index with --index")
    try:
        foreign = sorted(p.name for p in index_dir.iterdir() if not INDEX_FILE_NAME.match(p.name))
    except OSError as exc:
        raise BuildError(os_message(exc, index_dir)) from exc
    if foreign:
        shown = ", ".join(repr(n[:60]) for n in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise BuildError(f"{index_dir} is not a search index (it holds {shown}); nothing was written or deleted. "
                         "Give --index an empty or new folder, or the folder of an existing index")


def clean_leftovers(index_dir: Path) -> None:
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
        raise BuildError(os_message(exc, index_dir)) from exc
    gen = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = parent / f"{TMP_PREFIX}{os.getpid()}-{gen}"
    faiss_name, bm25_name = f"vectors-{gen}.faiss", f"bm25-{gen}"
    try:
        tmp.mkdir()
        pause_point("tmp-created")
        from .vectors import make_faiss

        vector_index = make_faiss(vectors)
        try:
            _write_faiss(vector_index, tmp / faiss_name)
        except RuntimeError as exc:  # a full disk reaches us as RuntimeError from faiss's C++ writer
            raise _faiss_write_error(exc, tmp / faiss_name) from exc
        pause_point("faiss-written")
        retriever = build_bm25(passages)
        retriever.save(str(tmp / bm25_name), show_progress=False)
        pause_point("bm25-written")
        spans: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            spans.setdefault(p.entry_id, [i, 0])[1] += 1
        manifest = {
            "format": FORMAT,
            "passage_format": PASSAGE_FORMAT,
            "tokenizer": tokenizer_settings(),
            "generation": gen,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "model": model,
            "passage_count": len(passages),
            "schema": schema_hash(),
            "versions": _versions(),
            "files": {"faiss": faiss_name, "faiss_sha256": sha256_file(tmp / faiss_name), "bm25": bm25_name,
                      "bm25_sha256": _sha256_tree(tmp / bm25_name)},
            "entries": {tid: {"hash": h, "passages": spans.get(tid, [0, 0])} for tid, h in sorted(entries.items())},
            "passages": [p.to_dict() for p in passages],
        }
        _write_text(tmp / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        _fsync_dir(tmp)
        pause_point("manifest-written")
        if not index_dir.exists():
            os.rename(tmp, index_dir)
            _fsync_dir(parent)
            return
        os.rename(tmp / faiss_name, index_dir / faiss_name)
        os.rename(tmp / bm25_name, index_dir / bm25_name)
        pause_point("files-moved")
        os.replace(tmp / MANIFEST, index_dir / MANIFEST)  # the commit point
        _fsync_dir(index_dir)
        pause_point("manifest-swapped")
    except OSError as exc:
        for name in (faiss_name, bm25_name):  # new files moved in before the failure are not referenced
            p = index_dir / name
            with contextlib.suppress(OSError):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        raise BuildError(os_message(exc, index_dir)) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    clean_leftovers(index_dir)


def os_message(exc: OSError, index_dir: Path) -> str:
    what = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EDQUOT: "the disk quota is exceeded"}.get(exc.errno or -1, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename else ""
    return (f"cannot write the index: {what}{where}. The previous index in {index_dir} is unchanged; "
            "free space or fix permissions, then run `tricks-kb build` again")


@contextlib.contextmanager
def build_lock(index_dir: Path):
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
        raise BuildError(os_message(exc, index_dir)) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of {index_dir} to finish...", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
