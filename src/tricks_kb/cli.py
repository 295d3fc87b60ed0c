"""The ``tricks-kb`` command line.

Commands that do not need the embedding model (validate, show, stats, export, new, schema, fmt, changes)
never import torch or sentence-transformers: heavy imports happen inside the handlers that
need them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from . import __version__


def _catalog_dir(args: argparse.Namespace) -> Path:
    from .settings import catalog_dir

    return Path(args.catalog) if getattr(args, "catalog", None) else catalog_dir()


def _load_valid(args: argparse.Namespace):
    """Load the catalog; return (tricks by id, problems)."""
    from .catalog import load_catalog

    cat = load_catalog([_catalog_dir(args)])
    return cat.tricks, cat.problems


# --- validate --------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Check entries; print problems; exit 1 on any error."""
    from .diagnostics import Severity, render_json, render_text
    from .lint import check_files

    paths = [Path(p) for p in args.paths] or None
    missing = [p for p in (paths or []) if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    checked = check_files(paths, _catalog_dir(args))
    problems, n = checked.problems, checked.files
    if args.warnings:
        try:
            problems += _near_duplicate_warnings(checked, _catalog_dir(args), args.since)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if not args.warnings:
        problems = [p for p in problems if p.severity is Severity.error]
    print(render_json(problems, n) if args.format == "json" else render_text(problems, n))
    return 1 if any(p.severity is Severity.error for p in problems) else 0


def _near_duplicate_warnings(checked, catalog_dir: Path, since: str | None) -> list:
    """TK101 warnings for new or changed entries among the checked files (see neardup.py)."""
    from .lint import run_rule
    from .neardup import NEAR_DUPLICATE, changed_files
    from .settings import index_dir

    if not catalog_dir.is_dir():
        return []
    changed = changed_files(catalog_dir, since)
    found = run_rule(NEAR_DUPLICATE, checked.catalog.entries, changed, index_dir())
    return [p for p in found if p.path in checked.shown]


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check entries and cross-entry rules",
                       description="Check every entry file and every cross-entry rule. Prints "
                       "'path:line:col: CODE message' per problem, then a count. Exit 1 on any error.")
    p.add_argument("paths", nargs="*", help="files or folders (default: the catalog folder)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--no-warnings", dest="warnings", action="store_false", help="hide advisory warnings")
    p.add_argument("--since", metavar="REV", help="git revision that the near-duplicate check (TK101) "
                   "compares against (default: HEAD; outside git every entry is checked)")
    p.set_defaults(func=cmd_validate)


# --- show ------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    """Print one entry with claim grades and reasoning."""
    from .catalog import close_ids, resolve_id
    from .render import show_text

    tricks, _ = _load_valid(args)
    tid = resolve_id(args.id, tricks)
    if tid is None:
        close = close_ids(args.id, tricks, n=3)
        print(f"error: no trick '{args.id}'" + (f"; did you mean: {', '.join(close)}?" if close else ""),
              file=sys.stderr)
        return 1
    t = tricks[tid]
    if args.json:
        from .export import trick_record

        print(json.dumps(trick_record(t), indent=2, ensure_ascii=False))
    else:
        print(show_text(t))
    return 0


def _add_show(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="print one trick with each claim's grade",
                       description="Print an entry, each claim's evidence grade with the reasoning, and "
                       "which verdicts the evidence supports.")
    p.add_argument("id", help="trick id, name or alias")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_show)


# --- stats -----------------------------------------------------------------------------


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts per category, verdict and grade."""
    from .render import stats, stats_text

    tricks, problems = _load_valid(args)
    s = stats(list(tricks.values()))
    print(json.dumps(s, indent=2) if args.json else stats_text(s))
    if problems:
        print(f"note: {len(problems)} problem(s) in the catalog; run `tricks-kb validate`", file=sys.stderr)
    return 0


def _add_stats(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="counts per category, verdict and grade",
                       description="Count tricks per category and verdict, and grades per trick and claim.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stats)


# --- export ----------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    """Write the catalog as JSON, CSV or BibTeX."""
    from . import export

    tricks, problems = _load_valid(args)
    if problems:
        print(f"warning: {len(problems)} problem(s); invalid entries are left out", file=sys.stderr)
    render = {"json": export.to_json, "csv": export.to_csv, "bibtex": export.to_bibtex}[args.format]
    text = render(list(tricks.values()))
    if args.output and args.output != "-":
        from .output import write_file

        write_file(args.output, text)
        print(f"wrote {args.output} ({len(tricks)} tricks)", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export the catalog as JSON, CSV or BibTeX",
                       description="Export valid entries: JSON (full records with grades), CSV (one row "
                       "per claim) or BibTeX (every distinct source once, stable keys).")
    p.add_argument("--format", choices=("json", "csv", "bibtex"), default="json", help="output format")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)


# --- new -------------------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    """Write an annotated stub for a new trick."""
    from .scaffold import ScaffoldError, new_entry

    try:
        path = new_entry(args.id, _catalog_dir(args))
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}: fill in every REPLACE, then run `tricks-kb validate {path}`")
    return 0


def _add_new(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="write an annotated stub for a new trick",
                       description="Write tricks/<ID>.yaml from the annotated template. Refuses an id "
                       "that exists or is already a name or alias of another trick.")
    p.add_argument("id", help="kebab-case id of the new trick")
    p.set_defaults(func=cmd_new)


# --- schema ----------------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    """Print, write or check the generated JSON Schema."""
    from .schema import json_schema
    from .settings import repo_root

    text = json.dumps(json_schema(), indent=2) + "\n"
    target = repo_root() / "schema" / "trick.schema.json"
    if args.write:
        from .output import write_file

        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, text)
        print(f"wrote {target}")
        return 0
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run `tricks-kb schema --write`", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    sys.stdout.write(text)
    return 0


def _add_schema(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print, write or check the JSON Schema",
                       description="The JSON Schema (draft 7) generated from the pydantic models.")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="write schema/trick.schema.json")
    g.add_argument("--check", action="store_true", help="exit 1 if schema/trick.schema.json is stale")
    p.set_defaults(func=cmd_schema)


# --- fmt -------------------------------------------------------------------------------


def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite entries in canonical form, or with --check list those that would change."""
    from .catalog import discover, display_path, file_problem
    from .fmt import FormatError, format_file

    paths = [Path(p) for p in args.paths] or [_catalog_dir(args)]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    files = [f for f in discover(paths, _catalog_dir(args)) if file_problem(f, str(f)) is None]  # validate flags the rest
    changed, failed = [], 0
    for f in files:
        try:
            res = format_file(f, write=not args.check)
        except FormatError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if res.changed:
            changed.append(display_path(f))
            print(("would reformat " if args.check else "reformatted ") + display_path(f))
    verb = "would be reformatted" if args.check else "reformatted"
    print(f"{len(files)} file(s) checked: {len(changed)} {verb}, {failed} could not be formatted", file=sys.stderr)
    if failed:
        return 2
    return 1 if (args.check and changed) else 0


def _add_fmt(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="rewrite entries in canonical key order and layout",
                       description="Rewrite entries in canonical form: keys in the order of the entry "
                       "model, two-space indentation, quoted arXiv ids and DOIs, the schema comment on "
                       "line 1. Comments are kept; formatting twice changes nothing. Exit 1 with --check "
                       "when a file would change, 2 when a file cannot be parsed.")
    p.add_argument("paths", nargs="*", help="files or folders (default: the catalog folder)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if any file would change")
    p.set_defaults(func=cmd_fmt)


# --- changes ---------------------------------------------------------------------------


def cmd_changes(args: argparse.Namespace) -> int:
    """Entries added, removed and changed since a git revision, with verdict moves."""
    from . import changes

    try:
        found = changes.compute_changes(_catalog_dir(args).resolve(), args.since, args.until)
    except changes.ChangesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    render = {"text": changes.render_text, "json": changes.render_json,
              "markdown": changes.render_markdown}["json" if args.json else args.format]
    print(render(found, args.since).rstrip("\n"))
    return 0


def _add_changes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("changes", help="entries added, removed or changed since a git revision",
                       description="Compare the catalog with a git revision: entries added, removed and "
                       "changed (which fields), and every verdict that moved. Text, JSON or a Markdown "
                       "changelog section.")
    p.add_argument("--since", required=True, metavar="REV", help="git revision to compare with, e.g. v0.1.0 or HEAD~5")
    p.add_argument("--until", metavar="REV", help="second revision (default: the working tree)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format")
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.set_defaults(func=cmd_changes)


# --- commands whose handlers live in their own modules ----------------------------------


def _elsewhere(module: str, adder: str):
    """An adder for a command defined in ``module`` (cli_check, cli_search, cli_integrations)."""

    def add(sub: argparse._SubParsersAction) -> None:
        getattr(importlib.import_module(module, __package__), adder)(sub)

    return add


# --- main ------------------------------------------------------------------------------

ADDERS = [_add_validate, _add_show, _add_stats, _add_export, _add_new, _add_schema, _add_fmt, _add_changes,
          _elsewhere(".cli_check", "add_check"), _elsewhere(".cli_search", "add_build"),
          _elsewhere(".cli_search", "add_search"), _elsewhere(".cli_integrations", "add_mcp"),
          _elsewhere(".cli_integrations", "add_site")]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="tricks-kb", description="Evidence-graded neural-network training tricks.")
    parser.add_argument("--version", action="version", version=f"tricks-kb {__version__}")
    parser.add_argument("--catalog", help="catalog folder (default: $TRICKS_KB_CATALOG or ./tricks)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in ADDERS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: every print goes through one sanitiser, every write error is one line."""
    from .output import OutputError, ReaderGone, SafeStream, silence

    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(real_out, "standard output"), SafeStream(real_err, "standard error")
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            sys.stdout.flush()
            return int(exc.code or 0) if not isinstance(exc.code, str) else 2
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        if args.command == "mcp":
            # stdout is the JSON-RPC channel (the SDK needs the real byte stream); JSON escapes control
            # characters itself, and nothing there is read by a terminal
            sys.stdout = real_out
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return 130
    except ReaderGone:
        # like any Unix filter whose reader left (`| head`): quiet, with the exit status of SIGPIPE
        silence(real_out)
        return 141
    except OutputError as exc:
        silence(real_out)
        _say_error(real_err, str(exc))
        return 1
    except OSError as exc:  # a write the handler did not expect to fail
        from .output import describe

        _say_error(real_err, describe(exc, exc.filename or "the output"))
        return 1
    finally:
        sys.stdout, sys.stderr = real_out, real_err


def _say_error(stream, message: str) -> None:
    from .output import sanitize

    try:
        stream.write(f"error: {sanitize(message)}\n")
        stream.flush()
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
