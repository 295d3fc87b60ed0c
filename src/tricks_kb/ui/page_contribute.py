"""Contribute page: how to add an entry, the annotated template, and the validation command."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ..scaffold import ScaffoldError, stub_text
from ..settings import repo_root
from .contrib import absolute_links, repo_url
from .text import md_link
from .widgets import page_title

EXAMPLE_ID = "my-new-trick"
# (title, what to do, the commands for it): shown in this order, each step with its own commands.
STEPS: list[tuple[str, str, str | None]] = [
    ("Check it is not there already", "Search for the trick and its other names on the Search page, or:",
     'tricks-kb search "my new trick"'),
    ("Get the repository and set it up", "Clone it (or your fork) and install everything once:",
     "git clone {repo}.git\ncd tricks-kb\n./dev.sh setup"),
    ("Write a stub", "The command writes the annotated template below to a new file:",
     f"tricks-kb new {EXAMPLE_ID}        # writes tricks/{EXAMPLE_ID}.yaml"),
    ("Fill in every REPLACE", "A summary, a recipe with typical values, the symptoms it answers, and at least "
     "two claims, each with its setting, the kind of evidence and the sources that report it. Quote arXiv ids "
     "and DOIs. Pick the verdict the evidence supports: the validator grades each claim and refuses a verdict "
     "the claims cannot carry.", None),
    ("Validate and look at the grades", "Fix what it reports (every problem has a file, line, code and hint):",
     f"tricks-kb fmt tricks/{EXAMPLE_ID}.yaml       # canonical order and layout\n"
     f"tricks-kb validate tricks/{EXAMPLE_ID}.yaml  # every rule, with file:line:col and a hint\n"
     f"tricks-kb show {EXAMPLE_ID}                  # how each claim is graded"),
    ("Rebuild the index and run the checks", "The committed search index must match the catalog:",
     "tricks-kb build                             # refresh the search index\n"
     "./dev.sh test                               # everything CI runs"),
    ("Open a pull request", "Commit the entry and the index, push to your fork and open a pull request:",
     f"git add tricks/{EXAMPLE_ID}.yaml index/\ngit commit -m \"Add {EXAMPLE_ID}\"\ngit push"),
]


def template_text(today: dt.date | None = None) -> str:
    """The annotated template exactly as ``tricks-kb new`` writes it."""
    try:
        return stub_text(EXAMPLE_ID, "My new trick", today or dt.date.today())
    except ScaffoldError as exc:
        return f"# {exc}"


def render() -> None:
    """The contribute page."""
    page_title("Contribute")
    st.title("Contribute a trick")
    repo = repo_url()
    intro = "Each trick is one YAML file, `tricks/<id>.yaml`, reviewed like code."
    if repo:
        intro += f" The catalog lives in {md_link('the repository', repo)}; to correct an entry, use the "
        intro += "“Suggest an edit / report an error” link at the bottom of its page."
    st.markdown(intro)
    for n, (title, text, commands) in enumerate(STEPS, start=1):
        st.markdown(f"**{n}. {title}.** {text}")
        if commands:
            st.code(commands.format(repo=repo or "https://github.com/<owner>/tricks-kb"), language="bash")
    st.subheader("The annotated template")
    st.code(template_text(), language="yaml")
    guide = repo_root() / "CONTRIBUTING.md"
    if guide.is_file():
        with st.expander("CONTRIBUTING.md: every field, rule and grade explained"):
            st.markdown(absolute_links(guide.read_text(encoding="utf-8"), repo))
