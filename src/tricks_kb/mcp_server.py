"""The MCP server behind ``tricks-kb mcp``: search, get_trick, compare and check_config over stdio, the rubric as a resource.

Built on the official ``mcp`` SDK (``MCPServer``). Results are structured JSON: search hits are the dicts
of ``tricks-kb search --json`` plus the answering claim and its sources; ``get_trick`` is the entry of
``tricks-kb show --json`` plus each claim's grading steps. Anticipated failures (unknown ids, bad
arguments) come back as tool errors (``isError``) with a hint; the server never dies on a request.
The catalog loads on the first tool call and the embedding model on the first search, once per server,
so ``initialize`` stays fast.

``check_config`` is the recipe check (``tricks-kb check --format json``) on a config's text: the same
JSON contract, computed without the model.
"""

from __future__ import annotations

import contextlib
import difflib
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from pydantic import Field

from . import __version__
from .schema import Category, Domain, Trick, Verdict

RUBRIC_URI = "tricks-kb://evidence-rubric"
MAX_CONFIG_CHARS = 512 * 1024  # the recipe readers' own size limit
MAX_K = 50
MAX_COMPARE = 4
INSTRUCTIONS = (
    "An evidence-graded knowledge base of neural-network training tricks. Before changing a training "
    "recipe (optimizer, schedule, normalization, regularization, precision, batch size), call `search` "
    "with the symptom or the change in plain words, then `get_trick` for the claims, their grades (A high "
    "to D very low) and the sources. `compare` lines up two to four tricks. The grading rubric is the "
    f"resource {RUBRIC_URI}."
)

CategoryName = Literal[tuple(c.value for c in Category)]  # type: ignore[valid-type]
VerdictName = Literal[tuple(v.value for v in Verdict)]  # type: ignore[valid-type]
DomainName = Literal[tuple(d.value for d in Domain)]  # type: ignore[valid-type]
GradeName = Literal["A", "B", "C", "D"]


class KnowledgeBase:
    """The catalog and the search engine of one server, each loaded once on first use (thread-safe)."""

    def __init__(self, catalog_dir: Path | None = None, index_dir: Path | None = None,
                 model: str | None = None) -> None:
        self.catalog_dir, self.index_dir, self.model = catalog_dir, index_dir, model
        self._tricks: dict[str, Trick] | None = None
        self._engine: Any = None
        self._lock = threading.Lock()

    def tricks(self) -> dict[str, Trick]:
        with self._lock:
            if self._tricks is None:
                from .catalog import load_catalog
                from .settings import catalog_dir

                folder = Path(self.catalog_dir) if self.catalog_dir else catalog_dir()
                if not folder.is_dir():
                    raise ToolError(f"catalog folder {folder} does not exist; hint: pass --catalog DIR or set "
                                    "TRICKS_KB_CATALOG")
                self._tricks = load_catalog([folder]).tricks
            return self._tricks

    def engine(self) -> Any:
        tricks = self.tricks()
        with self._lock:
            if self._engine is None:
                from .search import SearchEngine

                # stdout is the protocol channel: anything a library prints while loading goes to stderr.
                with contextlib.redirect_stdout(sys.stderr):
                    self._engine = SearchEngine.open(tricks, index_dir=self.index_dir, model=self.model)
            return self._engine

    def get(self, wanted: str) -> Trick:
        """The trick with this id, name or alias (case-insensitive), or a ToolError naming close ids."""
        from .catalog import close_ids, resolve_id

        tricks = self.tricks()
        tid = resolve_id(str(wanted), tricks)
        if tid is None:
            close = close_ids(str(wanted), tricks, n=3) or difflib.get_close_matches(str(wanted), sorted(tricks), n=3)
            hint = f"did you mean: {', '.join(close)}?" if close else "call `search` to find the id"
            raise ToolError(f"no trick with the id, name or alias '{str(wanted)[:120]}'; hint: {hint}")
        return tricks[tid]


# --- result shapes -------------------------------------------------------------------------


def source_dict(key: str, t: Trick) -> dict[str, Any]:
    """One source of a trick: its key, bibliographic fields and links."""
    from .render import source_links

    s = t.sources.get(key)
    if s is None:
        return {"key": key}
    out = {"key": key, **s.model_dump(mode="json", exclude_none=True)}
    out["links"] = [url for _, url in source_links(s)]
    return out


def claim_dict(t: Trick, index: int) -> dict[str, Any]:
    """One claim with its grade, the grading steps and its sources in full (``number`` counts from 1, as everywhere)."""
    from .evidence import grade_claims
    from .render import magnitude_text, setting_text

    c, g = t.claims[index], grade_claims(t)[index]
    return {
        "index": index, "number": index + 1, "statement": c.statement, "effect": c.effect.value,
        "evidence": c.evidence.value,
        "grade": g.grade, "grade_reasons": list(g.reasons), "magnitude": magnitude_text(c) or None,
        "setting": setting_text(c), "sources": [source_dict(k, t) for k in c.sources],
    }


def _strongest_claim(t: Trick) -> int | None:
    from .evidence import grade_claims

    grades = grade_claims(t)
    return max(range(len(grades)), key=lambda i: (grades[i].points, -i)) if grades else None


def hit_dict(hit: Any, t: Trick) -> dict[str, Any]:
    """A ``search --json`` hit plus the claim that answers it: the matched claim, else the strongest one."""
    out = hit.to_dict()
    matched = hit.matched_kind == "claim" and hit.claim_index is not None and hit.claim_index < len(t.claims)
    idx = hit.claim_index if matched else _strongest_claim(t)
    out["claim"] = claim_dict(t, idx) if idx is not None else None
    out["claim_matched"] = bool(matched)
    return out


def trick_dict(t: Trick) -> dict[str, Any]:
    """The ``show --json`` entry, each claim with its grading steps, and the verdicts the evidence supports."""
    from .evidence import grade_claims
    from .export import trick_record
    from .ui.views import verdict_support

    rec = trick_record(t)
    for claim, g in zip(rec["claims"], grade_claims(t), strict=True):
        claim["grade_reasons"] = list(g.reasons)
    ok, declared_ok = verdict_support(t)
    rec["supported_verdicts"] = ok
    rec["verdict_supported"] = declared_ok
    return rec


def compare_dict(tricks: list[Trick]) -> dict[str, Any]:
    """Two to four tricks side by side: headlines, claims lined up by setting, magnitudes, relations."""
    from .evidence import best_grade
    from .ui.views import compare_claims, compare_magnitudes, relations_between

    return {
        "tricks": [{"id": t.id, "name": t.name, "category": t.category.value, "verdict": t.verdict.value,
                    "best_grade": best_grade(t), "summary": t.summary, "overhead": t.overhead,
                    "caveats": list(t.caveats)} for t in tricks],
        "claims": compare_claims(tricks),
        "magnitudes": compare_magnitudes(tricks),
        "relations": [r.__dict__ for r in relations_between(tricks)],
    }


def rubric_text() -> str:
    """docs/evidence.md of the project (or of the installed package)."""
    from .settings import repo_root

    path = repo_root() / "docs" / "evidence.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResourceError(f"the evidence rubric {path} cannot be read: {exc.strerror or exc}") from None


# --- the server ----------------------------------------------------------------------------


def build_server(kb: KnowledgeBase | None = None) -> MCPServer:
    """An MCPServer with the tools and the rubric resource over ``kb``."""
    kb = kb or KnowledgeBase()
    server = MCPServer("tricks-kb", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(title="Search the training tricks")
    def search(
        query: Annotated[str, Field(description="symptom, trick or question in plain words; '' lists every trick")],
        k: Annotated[int, Field(description=f"number of hits, 1..{MAX_K}")] = 10,
        category: Annotated[list[CategoryName] | None, Field(description="only these categories")] = None,
        verdict: Annotated[list[VerdictName] | None, Field(description="only these verdicts")] = None,
        grade: Annotated[list[GradeName] | None, Field(description="only these best claim grades")] = None,
        domain: Annotated[list[DomainName] | None, Field(description="only these domains")] = None,
        tag: Annotated[list[str] | None, Field(description="only tricks with one of these tags")] = None,
        year_min: Annotated[int | None, Field(description="some source published in or after this year")] = None,
        year_max: Annotated[int | None, Field(description="some source published in or before this year")] = None,
    ) -> dict[str, Any]:
        """Hybrid (dense + BM25) search. Each hit has the trick's verdict, best grade, the claim that answers
        the query (or its strongest claim) with that claim's grade and sources. Filters: AND across fields,
        OR within one list."""
        from .filters import Filters

        if not 1 <= k <= MAX_K:
            raise ToolError(f"k must be between 1 and {MAX_K}, got {k}")
        if year_min is not None and year_max is not None and year_min > year_max:
            raise ToolError(f"year_min {year_min} is after year_max {year_max}")
        filters = Filters(category=list(category or []), verdict=list(verdict or []), grade=list(grade or []),
                          domain=list(domain or []), tag=list(tag or []), year_min=year_min, year_max=year_max)
        engine = kb.engine()
        resp = engine.search(query, k=k, filters=filters)
        hits = resp.hits[:k] if resp.mode == "browse" else resp.hits
        return {"query": query, "mode": resp.mode, "notice": resp.notice, "corrected_query": resp.corrected_query,
                "loosen": dict(resp.loosen), "hits": [hit_dict(h, engine.tricks[h.id]) for h in hits]}

    @server.tool(title="One trick in full")
    def get_trick(id: Annotated[str, Field(description="trick id, name or alias, e.g. 'adamw'")]) -> dict[str, Any]:  # noqa: A002
        """The whole entry: summary, how-to, claims with grades and the grading steps, the verdict and its
        reasoning, the verdicts the evidence supports, caveats, related tricks and sources."""
        return trick_dict(kb.get(id))

    @server.tool(title="Compare two to four tricks")
    def compare(ids: Annotated[list[str], Field(description="2 to 4 trick ids, names or aliases")]) -> dict[str, Any]:
        """Tricks side by side: verdicts and best grades, their claims lined up by setting, every reported
        magnitude, and the related-links among them."""
        if not 2 <= len(ids) <= MAX_COMPARE:
            raise ToolError(f"compare takes 2 to {MAX_COMPARE} ids, got {len(ids)}")
        chosen: list[Trick] = []
        for wanted in ids:
            t = kb.get(wanted)
            if t not in chosen:
                chosen.append(t)
        if len(chosen) < 2:
            raise ToolError("compare needs two different tricks; these ids name the same one")
        return compare_dict(chosen)

    @server.tool(title="Check a training config against the evidence")
    def check_config(
        text: Annotated[str, Field(description="the config's text: JSON, YAML, TOML, a Python config of plain "
                                               "assignments, or a command line with --flags")],
        filename: Annotated[str | None, Field(description="its file name, a hint for the format")] = None,
        against: Annotated[str | None, Field(description="a base config's text: report what changed")] = None,
    ) -> dict[str, Any]:
        """The tricks the config uses (settings as written, line, explicit or a framework default, on or
        off), each with its verdict and grade, and findings where a setting goes against the evidence
        (severity, message, the claims it rests on). Nothing is run or imported from the config."""
        from .recipe.check import check_text
        from .recipe.readers import ReadError

        if len(text) > MAX_CONFIG_CHARS or (against is not None and len(against) > MAX_CONFIG_CHARS):
            raise ToolError(f"a config may have at most {MAX_CONFIG_CHARS} characters")
        try:
            return check_text(text, filename, against, catalog_dir=kb.catalog_dir)
        except ReadError as exc:
            raise ToolError(f"{exc.format(filename or '<text>')}") from None

    @server.resource(RUBRIC_URI, name="evidence-rubric", title="The evidence grading rubric",
                     description="How claims are graded A-D and which verdicts the grades support",
                     mime_type="text/markdown")
    def evidence_rubric() -> str:
        return rubric_text()

    return server


def serve(catalog_dir: Path | None = None, index_dir: Path | None = None, model: str | None = None) -> None:
    """Run the server on stdin/stdout until the client closes it."""
    build_server(KnowledgeBase(catalog_dir, index_dir, model)).run("stdio")
