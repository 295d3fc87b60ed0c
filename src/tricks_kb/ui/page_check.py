"""Page "Check a recipe": paste or upload a training config; the tricks in it and the findings (nothing is stored or sent)."""

from __future__ import annotations

import streamlit as st

from ..recipe.check import check_parsed, public
from ..recipe.readers import ReadError, read_bytes, read_text
from ..recipe.report import render_markdown
from .resources import get_tricks


def render() -> None:
    st.title("Check a recipe")
    st.caption("Paste a training config or upload one. It is read here, never executed, stored or sent anywhere.")
    text = st.text_area("Config text (JSON, YAML, TOML, Python assignments or a command line)", height=240,
                        key="check_text")
    upload = st.file_uploader("or upload a file", key="check_upload")
    if not (text.strip() or upload is not None):
        st.info("Paste a config above to see the tricks it uses and what the evidence says about them.")
        return
    name = upload.name if upload is not None else "pasted config"
    try:
        parsed = read_bytes(upload.getvalue(), upload.name) if upload is not None else read_text(text)
    except ReadError as exc:
        st.error(exc.format(name).replace("\n", "  \n"))
        return
    result = public(check_parsed(parsed, name, get_tricks()))
    st.markdown(render_markdown([result]))
    with st.expander("JSON"):
        st.json(result)
