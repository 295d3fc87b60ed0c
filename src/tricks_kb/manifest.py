"""The index manifest: its pydantic models, reading and validating manifest.json, and the data files' checksums.

Anything the models refuse (``model`` as a string, ``dim`` null, ``entries`` as a list, a malformed
passage, a data file without its checksum, a file name that leaves the index folder) makes the
index "corrupt: rebuild" instead of a traceback or wrong results.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

FORMAT = 2  # 2: the manifest has a checksum for every data file (bm25_sha256) and is validated by manifest.py
MANIFEST = "manifest.json"
GENERATION = r"[0-9]{14}-[0-9a-f]{6}"
INDEX_FILE_NAME = re.compile(rf"^(?:manifest\.json|vectors-{GENERATION}\.faiss|bm25-{GENERATION})$")
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ModelInfo(_Strict):
    """The embedding model the vectors were made with."""

    name: Name
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]
    dim: int = Field(ge=1, le=100_000)


class Files(_Strict):
    """The data files, by name inside the index folder, each with its checksum."""

    faiss: Annotated[str, StringConstraints(pattern=rf"^vectors-{GENERATION}\.faiss$")]
    faiss_sha256: Sha256
    bm25: Annotated[str, StringConstraints(pattern=rf"^bm25-{GENERATION}$")]
    bm25_sha256: Sha256


class EntryInfo(_Strict):
    """One catalog entry: its content hash and its passages' [start, count] in the passage list."""

    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]
    passages: list[Annotated[int, Field(ge=0)]] = Field(min_length=2, max_length=2)


class PassageInfo(_Strict):
    """One indexed passage, in vector-id order."""

    entry: Name
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z]{1,20}$")]
    claim: Annotated[int, Field(ge=0)] | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class Manifest(BaseModel):
    """manifest.json. Unknown top-level keys are tolerated (a newer writer may add some); known ones are strict."""

    model_config = ConfigDict(extra="allow", strict=True)

    format: int
    passage_format: int
    generation: Annotated[str, StringConstraints(pattern=rf"^{GENERATION}$")]
    created: Name
    model: ModelInfo
    passage_count: int = Field(ge=0)
    schema_: Name = Field(alias="schema")
    versions: dict[str, str]
    tokenizer: dict[str, str | bool | int] | None = None
    files: Files
    entries: dict[str, EntryInfo]
    passages: list[PassageInfo]



def span_problem(data: dict[str, Any]) -> str | None:
    """Entries whose [start, count] reach past the passage list (checked after the vector counts)."""
    n = len(data["passages"])
    for tid, e in data["entries"].items():
        start, count = e["passages"]
        if start + count > n:
            return f"entry '{tid[:80]}' names passages {start}..{start + count - 1}, but there are {n}"
    return None


def problem(data: Any) -> str | None:
    """None when ``data`` is a valid manifest, else the first reason (field path and what is wrong)."""
    try:
        Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        return f"{where}: {err['msg']}"[:300]
    return None


class IndexError_(RuntimeError):
    """The index cannot be used; ``status`` says why and the message says how to fix it."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
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
            h.update(sha256_file(p).encode())
    return h.hexdigest()


# --- reading -------------------------------------------------------------------------


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
    why = problem(data)
    if why is not None:
        raise IndexError_("corrupt", f"{path} is corrupt ({why}): rebuild it with `tricks-kb build`")
    if not isinstance(data["passages"], list) or len(data["passages"]) != data["passage_count"]:
        raise IndexError_("corrupt", f"{path} lists {len(data['passages'])} passages but says "
                                     f"{data['passage_count']}: run `tricks-kb build`")
    return data
