"""The committed JSON Schema is generated from the models, is valid draft 7, and accepts real entries."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from tricks_kb.schema import Trick, json_schema


def _schema(repo_root: Path) -> dict:
    return json.loads((repo_root / "schema" / "trick.schema.json").read_text(encoding="utf-8"))


def test_committed_schema_matches_models(repo_root: Path) -> None:
    assert _schema(repo_root) == json_schema(), "run `tricks-kb schema --write` and commit the result"


def test_schema_is_draft7_and_describes_every_field(repo_root: Path) -> None:
    schema = _schema(repo_root)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    for model_name, model in schema["definitions"].items():
        if "properties" in model:
            assert model.get("additionalProperties") is False, model_name
            for name, prop in model["properties"].items():
                assert prop.get("description"), f"{model_name}.{name}"


def test_schema_accepts_catalog_entries_and_rejects_unknown_keys(repo_root: Path, catalog_dir: Path) -> None:
    validator = jsonschema.Draft7Validator(_schema(repo_root))
    files = sorted(catalog_dir.glob("*.yaml"))[:20] + [repo_root / "tests/fixtures/good/fixture-good.yaml"]
    for f in files:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        data["last_reviewed"] = str(data["last_reviewed"])  # YAML dates are strings to editors
        Trick.model_validate(yaml.safe_load(f.read_text(encoding="utf-8")))
        assert not list(validator.iter_errors(data)), f
    data["colour"] = "blue"
    assert list(validator.iter_errors(data))


def test_entries_carry_the_schema_comment(catalog_dir: Path) -> None:
    for f in sorted(catalog_dir.glob("*.yaml")):
        first = f.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/trick.schema.json", f.name
