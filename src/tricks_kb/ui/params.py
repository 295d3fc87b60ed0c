"""Keep a page's view in the URL: read query parameters once into session state, write changes back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from .text import split_param

MAX_PARAM_CHARS = 1000


def get_list(name: str) -> list[str]:
    """A list parameter: repeated keys (``?v=a&v=b``) or comma-separated (``?v=a,b``)."""
    return split_param(v[:MAX_PARAM_CHARS] for v in st.query_params.get_all(name))


def get_str(name: str) -> str:
    """A text parameter, trimmed to a sane length ('' when absent)."""
    return str(st.query_params.get(name, "") or "")[:MAX_PARAM_CHARS]


def init_state(key: str, value: object) -> None:
    """Seed a widget's session-state value once per session (the URL wins on first load)."""
    if key not in st.session_state:
        st.session_state[key] = value


def write(values: Mapping[str, str | Sequence[str] | None]) -> None:
    """Make the URL's query parameters exactly ``values`` (empty values dropped); no-op when unchanged."""
    wanted: dict[str, list[str]] = {}
    for k, v in values.items():
        items = [v] if isinstance(v, str) else list(v or [])
        items = [str(i) for i in items if str(i)]
        if items:
            wanted[k] = items
    current = {k: list(st.query_params.get_all(k)) for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict({k: v[0] if len(v) == 1 else v for k, v in wanted.items()})
