"""The index manifest's format: pydantic models that every manifest.json is validated against before use.

Anything the models refuse (``model`` as a string, ``dim`` null, ``entries`` as a list, a malformed
passage, a data file without its checksum, a file name that leaves the index folder) makes the
index "corrupt: rebuild" instead of a traceback or wrong results.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

GENERATION = r"[0-9]{14}-[0-9a-f]{6}"
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
