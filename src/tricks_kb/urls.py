"""Which source URLs are not stable identifiers (a moving branch, a 'stable' or 'latest' docs path)."""

from __future__ import annotations

from urllib.parse import urlparse

CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org")
MOVING_BRANCHES = ("master", "main", "develop", "dev", "trunk", "head")
MOVING_DOCS = ("stable", "latest")


def unstable_url(url: str) -> tuple[str, str] | None:
    """(what is unstable, how to fix it) for a URL that can change under the citation, else None."""
    parsed = urlparse(url.strip())
    host = (parsed.hostname or "").casefold().removeprefix("www.")
    parts = [p for p in parsed.path.split("/") if p]
    low = [p.casefold() for p in parts]
    if host == "raw.githubusercontent.com" and len(low) >= 3 and low[2] in MOVING_BRANCHES:
        return (f"branch '{parts[2]}' in a raw file link",
                f"replace '{parts[2]}' with a commit id so the cited text cannot change")
    if host in CODE_HOSTS:
        for i, seg in enumerate(low[:-1]):
            if seg in ("blob", "tree", "raw", "src") and low[i + 1] in MOVING_BRANCHES:
                return (f"branch name '{seg}/{parts[i + 1]}' in a code-host link",
                        f"replace '{seg}/{parts[i + 1]}' with '{seg}/<commit id>' (on GitHub press 'y' on the "
                        "file page to get the permanent link)")
        return None
    for seg, orig in zip(low, parts, strict=True):
        if seg in MOVING_DOCS:
            return (f"'{orig}' in a docs path points at whatever version is current",
                    f"replace '/{orig}/' with the version the claim was checked against, e.g. '/2.5/' "
                    "(or link an archived snapshot)")
    return None
