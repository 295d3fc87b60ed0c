"""Model resolution and fingerprints (no torch needed: only files are read and hashed)."""

from __future__ import annotations

import shutil

import pytest

from tricks_kb.embed import DEFAULT_MODEL_NAME, ModelError, model_info, resolve_model


def test_default_model_comes_from_the_package(monkeypatch):
    monkeypatch.delenv("TRICKS_KB_MODEL", raising=False)
    name, path = resolve_model()
    assert name == DEFAULT_MODEL_NAME and (path / "config.json").is_file()
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2")[1] == path


def test_fingerprint_follows_the_weights_not_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TRICKS_KB_MODEL", raising=False)
    default = model_info()
    copy = tmp_path / "my-model"
    shutil.copytree(default.path, copy)
    monkeypatch.setenv("TRICKS_KB_MODEL", str(copy))
    same = model_info()
    assert same.path == copy and same.fingerprint == default.fingerprint
    weights = next(p for p in copy.rglob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte is another model
    weights.write_bytes(bytes(data))
    assert model_info(str(copy)).fingerprint != default.fingerprint


@pytest.mark.parametrize("bad", ["/no/such/folder", "not-a-cached-model-xyz"])
def test_unknown_model_is_a_clear_error(bad):
    with pytest.raises(ModelError, match="not found or not a sentence-transformers model.*never downloaded"):
        resolve_model(bad)
