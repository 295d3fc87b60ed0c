"""Handlers of ``tricks-kb mcp`` and ``tricks-kb site`` (wired into cli.py); neither imports torch up front."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# --- mcp -------------------------------------------------------------------------------


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the MCP tools on stdin/stdout."""
    from .mcp_server import serve

    catalog = Path(args.catalog) if getattr(args, "catalog", None) else None
    serve(catalog, Path(args.index) if args.index else None, args.model)
    return 0


def add_mcp(sub: argparse._SubParsersAction) -> None:
    """Register ``mcp``."""
    p = sub.add_parser("mcp", help="serve the knowledge base to coding agents (MCP, stdio)",
                       description="A Model Context Protocol server on standard input and output, for coding "
                       "agents: tools search, get_trick and compare, and the evidence rubric as a resource. "
                       "Register it in an MCP client as the command `tricks-kb mcp` (see docs/mcp.md).")
    p.add_argument("--index", help="index folder (default: $TRICKS_KB_INDEX or ./index)")
    p.add_argument("--model", help="local sentence-transformers folder (must be the one the index was built with)")
    p.set_defaults(func=cmd_mcp)


# --- site ------------------------------------------------------------------------------


def cmd_site(args: argparse.Namespace) -> int:
    """Write the static site."""
    from .settings import catalog_dir as default_catalog_dir
    from .site import SiteError, build_site

    catalog = Path(args.catalog) if getattr(args, "catalog", None) else default_catalog_dir()
    try:
        rep = build_site(catalog, Path(args.dir), base_url=args.base_url, search=args.search)
    except SiteError as exc:
        message, _, hint = str(exc).partition("; hint: ")
        print(f"error: {message}" + (f"\nhint: {hint}" if hint else ""), file=sys.stderr)
        return 1
    if rep.skipped:
        print(f"warning: {rep.skipped} invalid entr{'y' if rep.skipped == 1 else 'ies'} left out; run "
              "`tricks-kb validate` for the reasons", file=sys.stderr)
    print(f"wrote {rep.pages} pages for {rep.tricks} tricks into {args.dir} in {rep.seconds:.1f}s"
          + (f" (search index: {rep.indexed} pages)" if args.search else " (no search index)"))
    return 0


def add_site(sub: argparse._SubParsersAction) -> None:
    """Register ``site``."""
    p = sub.add_parser("site", help="write the catalog as a static website",
                       description="Write a static site into DIR: index.html (search and the catalog), "
                       "trick/<id>/index.html per trick, landscape/index.html, and a Pagefind search index "
                       "(keyword search in the browser, symptoms and aliases included). Same catalog, same "
                       "bytes. Serve DIR from any static host.")
    p.add_argument("dir", metavar="DIR", help="output folder (created; files the site owns are replaced)")
    p.add_argument("--base-url", default="/", metavar="PATH", help="URL path the site is served under, e.g. /tricks-kb/ "
                   "(default /)")
    p.add_argument("--no-search", dest="search", action="store_false",
                   help="skip the Pagefind search index (faster; the search box then says it is unavailable)")
    p.set_defaults(func=cmd_site)
