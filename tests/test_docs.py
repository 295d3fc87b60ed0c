"""Docs that cannot drift: every command in docs/cli.md, every entry field and vocabulary in CONTRIBUTING.md."""

from __future__ import annotations

import argparse
import re
from enum import Enum
from pathlib import Path

import pytest

from tricks_kb import schema
from tricks_kb.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
CLI_MD = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("tricks-kb has no subcommands")


def _help_texts() -> dict[str, str | None]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {a.dest: a.help for a in action._choices_actions}
    return {}


COMMANDS = sorted(_subparsers())


def _section(doc: str, heading: str) -> str:
    """Text under a markdown heading up to the next heading of the same or higher level."""
    m = re.search(rf"^(#+) {re.escape(heading)}\s*$", doc, flags=re.M)
    assert m, f"no heading '{heading}'"
    level = len(m.group(1))
    rest = doc[m.end():]
    nxt = re.search(rf"^#{{1,{level}}} ", rest, flags=re.M)
    return rest[: nxt.start()] if nxt else rest


def test_the_expected_commands_exist() -> None:
    assert {"validate", "show", "stats", "export", "new", "schema", "fmt", "changes"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_description(name: str) -> None:
    sub = _subparsers()[name]
    assert (_help_texts().get(name) or "").strip(), f"`tricks-kb {name}` has no one-line help"
    assert (sub.description or "").strip(), f"`tricks-kb {name}` has no description"
    for action in sub._actions:
        if action.dest != "help":
            assert (action.help or "").strip(), f"`tricks-kb {name}` argument {action.dest} has no help"
    assert sub.format_help().startswith("usage: tricks-kb " + name)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_with_every_option(name: str) -> None:
    section = _section(CLI_MD, f"`tricks-kb {name}`")
    assert len(section.strip()) > 80, f"docs/cli.md section for {name} is too thin"
    for action in _subparsers()[name]._actions:
        if action.dest == "help":
            continue
        names = action.option_strings or [action.dest]
        assert any(f"`{n}" in section for n in names), f"docs/cli.md: `tricks-kb {name}` does not document {names}"


def test_docs_list_no_command_that_does_not_exist() -> None:
    documented = set(re.findall(r"^## `tricks-kb (\S+)`", CLI_MD, flags=re.M))
    assert documented == set(COMMANDS)


MODELS = {
    "Trick": schema.Trick, "AppliesTo": schema.AppliesTo, "Claim": schema.Claim, "Magnitude": schema.Magnitude,
    "Setting": schema.Setting, "Source": schema.Source, "Related": schema.Related,
}


def _model_section(model_name: str) -> str:
    m = re.search(rf"^### .*\({model_name}\)\s*$", CONTRIBUTING, flags=re.M)
    assert m, f"CONTRIBUTING.md has no '### ... ({model_name})' section"
    rest = CONTRIBUTING[m.end():]
    nxt = re.search(r"^#{1,3} ", rest, flags=re.M)
    return rest[: nxt.start()] if nxt else rest


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_every_model_field_is_in_contributing(model_name: str) -> None:
    section = _model_section(model_name)
    rows = dict(re.findall(r"^\| `(\w+)` \| (mandatory|optional) \|", section, flags=re.M))
    fields = MODELS[model_name].model_fields
    assert set(rows) == set(fields), f"{model_name}: documented {sorted(rows)} vs model {sorted(fields)}"
    for name, info in fields.items():
        expected = "mandatory" if info.is_required() else "optional"
        assert rows[name] == expected, f"{model_name}.{name} is {expected} in the model"


def test_every_field_appears_in_the_annotated_template() -> None:
    template = re.search(r"## Annotated template\s+```yaml\n(.*?)```", CONTRIBUTING, flags=re.S).group(1)
    keys = set(re.findall(r"^[\s-]*(\w+):", template, flags=re.M)) | set(re.findall(r"[{,]\s*(\w+):", template))
    for model_name, model in MODELS.items():
        missing = set(model.model_fields) - keys
        assert not missing, f"{model_name} fields missing from the annotated template: {sorted(missing)}"


def test_every_vocabulary_value_is_in_contributing() -> None:
    vocab = _section(CONTRIBUTING, "Vocabularies")
    enums = [obj for obj in vars(schema).values()
             if isinstance(obj, type) and issubclass(obj, Enum) and obj.__module__ == schema.__name__]
    assert len(enums) >= 9
    for enum in enums:
        for member in enum:
            assert f"`{member.value}`" in vocab, f"{enum.__name__} value '{member.value}' missing from Vocabularies"


def test_verdict_examples_in_contributing_are_real_entries(catalog_dir: Path) -> None:
    from tricks_kb.catalog import load_catalog

    table = _section(CONTRIBUTING, "The evidence rubric in brief")
    tricks = load_catalog([catalog_dir]).tricks
    for verdict in schema.Verdict:
        row = re.search(rf"^\| `{verdict.value}` \|.*\| (.+) \|$", table, flags=re.M)
        assert row, f"no rubric row for {verdict.value}"
        for example in re.findall(r"`([a-z0-9-]+)`", row.group(1)):
            assert example in tricks, f"example '{example}' is not in the catalog"
            assert tricks[example].verdict is verdict, f"'{example}' is no longer {verdict.value}"
