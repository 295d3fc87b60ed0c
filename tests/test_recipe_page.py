"""The "Check a recipe" page, run headless with AppTest on the real app (fixture catalog and index)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

pytestmark = pytest.mark.slow

APP = Path(__file__).resolve().parents[1] / "app.py"
ADAM_L2 = "optimizer = dict(type='Adam', lr=0.0008, weight_decay=2e-4)\n"


@pytest.fixture
def app_env(search_index, monkeypatch):
    monkeypatch.setenv("TRICKS_KB_CATALOG", str(Path(__file__).resolve().parents[1] / "tricks"))
    monkeypatch.setenv("TRICKS_KB_INDEX", str(search_index.index_dir))
    return search_index


def _page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at._page_hash = calc_hash("check")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_pasted_config_shows_tricks_and_the_conflict(app_env) -> None:
    at = _page()
    assert any("Paste a config" in i.value for i in at.info)
    at.text_area(key="check_text").set_value(ADAM_L2).run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(m.value for m in at.markdown)
    assert "| conflict | `adamw` |" in text
    assert "[adam](?trick=adam)" in text and "weight-decay" in text


def test_unreadable_paste_gives_a_positioned_error(app_env) -> None:
    at = _page()
    at.text_area(key="check_text").set_value("just some words without any settings\n").run()
    assert not at.exception
    assert any("RC001" in e.value for e in at.error)
