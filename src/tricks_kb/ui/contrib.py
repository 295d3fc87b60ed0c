"""Links for contributing from the browser: the repository, an entry's file, a prefilled issue for an entry."""

from __future__ import annotations

import os
import re
from urllib.parse import urlencode

from ..schema import Trick
from .text import safe_url

REPO_ENV = "TRICKS_KB_REPO_URL"
DEFAULT_REPO_URL = "https://github.com/tricks-kb/tricks-kb"  # as in the JSON Schema's $id; $TRICKS_KB_REPO_URL wins
ISSUE_BODY = """Entry: `tricks/{id}.yaml` ({name})
Page: {page}

What is wrong or missing (a claim, a number, a source, the verdict)?


What should it say instead, and which source supports it (arXiv id or DOI, and where in the paper)?

"""


def repo_url() -> str | None:
    """The configured repository URL (http(s), no trailing slash), or None when none is configured."""
    url = safe_url(os.environ.get(REPO_ENV) or DEFAULT_REPO_URL)
    return url.rstrip("/") if url else None


def entry_file_url(repo: str, t: Trick, branch: str = "main") -> str:
    """The entry's YAML file in the repository (GitHub-style ``/blob/<branch>/`` path)."""
    return f"{repo}/blob/{branch}/tricks/{t.id}.yaml"


def absolute_links(markdown: str, repo: str | None, branch: str = "main") -> str:
    """Markdown with its repository-relative links (``[x](docs/evidence.md)``) pointed at the repository's files.

    Shown in the app, a relative link would resolve against the app's URL and open a blank page; without a
    repository the link text stays, as code.
    """
    def fix(m: re.Match[str]) -> str:
        text, target = m.group(1), m.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:|[/#]", target, flags=re.I):
            return m.group(0)  # absolute, rooted or an anchor: fine as it is
        return f"[{text}]({repo}/blob/{branch}/{target})" if repo else f"{text} (`{target}`)"
    return re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)", fix, markdown)


def edit_issue_url(repo: str, t: Trick, page: str = "") -> str:
    """A new-issue URL prefilled with the entry's id, name and what a useful report says."""
    query = urlencode({"title": f"{t.id}: suggest an edit / report an error",
                       "body": ISSUE_BODY.format(id=t.id, name=t.name, page=page or f"?trick={t.id}")})
    return f"{repo}/issues/new?{query}"
