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


_SEEN = "_url_seen"  # session key: the URL-derived value of each widget key at the previous run


def init_state(key: str, value: object) -> None:
    """Seed a widget's value from the URL (``value``): on first load, and whenever the URL moved by itself.

    The URL moves by itself on Back and Forward: the widget still holds the newer value, and without
    this the page would write it straight back into the URL, undoing the browser's navigation.
    """
    seen = st.session_state.setdefault(_SEEN, {})
    if key not in st.session_state or (key in seen and seen[key] != _norm(value)):
        st.session_state[key] = value
    seen[key] = _norm(value)


def _norm(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def remember(values: Mapping[str, object]) -> None:
    """Record the URL-derived value each widget key will read at the next run, after :func:`write` moved the URL.

    Without it, a widget changed again before that run (typing fast) would be reset to the URL's value.
    """
    st.session_state.setdefault(_SEEN, {}).update({k: _norm(v) for k, v in values.items()})


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
