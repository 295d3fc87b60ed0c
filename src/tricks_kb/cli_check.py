"""The ``tricks-kb check`` command: recipe check of training configs (never loads the model)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def catalog_dir(args: argparse.Namespace) -> Path:
    from .settings import catalog_dir as default

    return Path(args.catalog) if getattr(args, "catalog", None) else default()



def cmd_check(args: argparse.Namespace) -> int:
    """Recipe check: tricks in each config, their evidence, and findings; exit 2 on unreadable input."""
    from .recipe.check import catalog_tricks, check_path
    from .recipe.readers import ReadError
    from .recipe.report import render_json, render_markdown, render_text

    catalog_tricks(catalog_dir(args))
    results = []
    against = Path(args.against) if args.against else None
    for name in args.paths:
        try:
            results.append(check_path(Path(name), against, catalog_dir(args)))
        except ReadError as exc:
            shown = str(against) if against and exc.code == "RC005" and not against.exists() else name
            print(exc.format(shown), file=sys.stderr)
            return 2
    render = {"text": render_text, "json": render_json, "markdown": render_markdown}[
        "json" if args.json else args.format]
    print(render(results))
    if args.strict and any(f["severity"] == "conflict" for r in results for f in r["findings"]):
        return 1
    return 0


def add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check a training config against the evidence",
                       description="Read training configs (JSON, YAML, TOML, Python assignments, command lines), "
                       "list the catalog tricks they use with settings, line and source (explicit or a framework "
                       "default), and the findings where a setting goes against the evidence. Nothing is executed.")
    p.add_argument("paths", nargs="+", help="config files")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format")
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.add_argument("--against", metavar="BASE", help="base config: report what changed and what the evidence says")
    p.add_argument("--strict", action="store_true", help="exit 1 when any finding is a conflict (for CI)")
    p.set_defaults(func=cmd_check)
