"""settings: folders (the clone you stand in wins), TRICKS_KB_* variables and the thread policy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tricks_kb import settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (settings.CATALOG_ENV, settings.INDEX_ENV, settings.HOME_ENV, settings.QUERY_THREADS_ENV):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _clone(tmp_path: Path) -> Path:
    clone = tmp_path / "other-clone"
    (clone / ".git").mkdir(parents=True)
    (clone / "tricks").mkdir()
    (clone / "docs" / "deep").mkdir(parents=True)
    return clone


def test_the_clone_you_stand_in_wins_over_the_installed_checkout(tmp_path, clean_env) -> None:
    clone = _clone(tmp_path)
    for cwd in (clone, clone / "docs" / "deep"):
        clean_env.chdir(cwd)
        assert settings.catalog_dir() == clone / "tricks"
        assert settings.index_dir() == clone / "index"
    clean_env.chdir(tmp_path)  # not inside any clone: the installed checkout
    assert settings.catalog_dir() == ROOT / "tricks"


def test_variables_win(tmp_path, clean_env) -> None:
    clean_env.chdir(_clone(tmp_path))
    clean_env.setenv(settings.CATALOG_ENV, str(tmp_path / "cat"))
    clean_env.setenv(settings.INDEX_ENV, str(tmp_path / "idx"))
    assert settings.catalog_dir() == tmp_path / "cat" and settings.index_dir() == tmp_path / "idx"
    clean_env.delenv(settings.CATALOG_ENV)
    clean_env.setenv(settings.HOME_ENV, str(tmp_path / "home"))
    assert settings.catalog_dir() == tmp_path / "home" / "tricks"


def test_validate_inside_another_clone_checks_that_clone(tmp_path) -> None:
    clone = _clone(tmp_path)
    (clone / "tricks" / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRICKS_KB_")}
    out = subprocess.run([sys.executable, "-m", "tricks_kb", "validate"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "broken.yaml" in out.stdout + out.stderr


def test_query_threads_variable_is_the_query_thread_policy(clean_env) -> None:
    assert settings.threads_for(1) == 1  # default: a query embeds on one thread
    clean_env.setenv(settings.QUERY_THREADS_ENV, "2")
    assert settings.threads_for(1) == min(2, os.cpu_count() or 1)
    clean_env.setenv(settings.QUERY_THREADS_ENV, "nonsense")
    assert settings.query_threads() == 1
    clean_env.setenv("OMP_NUM_THREADS", "1")
    assert settings.threads_for(settings.QUERY_BATCH_MAX + 1) == 1


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell 1 thread from 2")
def test_embedder_encodes_a_query_with_the_query_threads(clean_env) -> None:
    torch = pytest.importorskip("torch")
    import numpy as np

    from tricks_kb.embed import Embedder, ModelInfo

    seen = []

    class FakeModel:
        def get_embedding_dimension(self) -> int:
            return 3

        def encode(self, texts, **_kw):
            seen.append(torch.get_num_threads())
            return np.ones((len(texts), 3), dtype="float32")

    before = torch.get_num_threads()
    try:
        emb = Embedder(ModelInfo("fake", Path("."), "0"), FakeModel())
        clean_env.setenv(settings.QUERY_THREADS_ENV, "2")
        emb.encode(["one query"])
        clean_env.setenv(settings.QUERY_THREADS_ENV, "1")
        emb.encode(["one query"])
    finally:
        torch.set_num_threads(before)
    assert seen == [2, 1]
