"""The hand-labelled real training configs stay consistent with their labels.

Three folders in the same format: tests/fixtures/configs/ (the development set), tests/fixtures/configs_set2/
and tests/fixtures/configs_set3/ (drawn later and labelled blind; the third is held out).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"dev": ROOT / "tests" / "fixtures" / "configs", "set2": ROOT / "tests" / "fixtures" / "configs_set2",
          "set3": ROOT / "tests" / "fixtures" / "configs_set3"}
MIN_CONFIGS = {"dev": 30, "set2": 20, "set3": 20}
NOT_CONFIGS = {"labels.yaml", "README.md"}
FORMATS = {"json", "yaml", "toml", "python", "cli"}
FRAMEWORKS = {
    "hf-trainer", "trl", "axolotl", "llm-foundry", "olmo", "torchtune", "lightning", "timm", "nanogpt",
    "hydra", "detectron2", "mmdet", "diffusers", "other",
}
SEVERITIES = {"conflict", "caution", "info"}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_BYTES = 64 * 1024


def _labels(folder: str) -> dict:
    return yaml.safe_load((FOLDERS[folder] / "labels.yaml").read_text(encoding="utf-8"))


def _entries(folder: str) -> list[dict]:
    return _labels(folder)["configs"]


@pytest.fixture(params=sorted(FOLDERS))
def folder(request) -> str:
    return request.param


def _catalog_ids() -> set[str]:
    return {p.stem for p in (ROOT / "tricks").glob("*.yaml")}


def _line_count(folder: str, name: str) -> int:
    return len((FOLDERS[folder] / name).read_text(encoding="utf-8").splitlines())


def test_enough_configs_each_labelled_once(folder: str) -> None:
    names = [e["file"] for e in _entries(folder)]
    assert len(names) >= MIN_CONFIGS[folder]
    assert len(names) == len(set(names)), "a config is labelled twice"


def test_every_labelled_file_exists_and_every_file_is_labelled(folder: str) -> None:
    labelled = {e["file"] for e in _entries(folder)}
    on_disk = {p.name for p in FOLDERS[folder].iterdir() if p.is_file() and p.name not in NOT_CONFIGS}
    assert labelled - on_disk == set(), "labelled but missing"
    assert on_disk - labelled == set(), "present but not labelled"


def test_files_are_small_text(folder: str) -> None:
    for e in _entries(folder):
        path = FOLDERS[folder] / e["file"]
        assert path.stat().st_size <= MAX_BYTES, e["file"]
        path.read_text(encoding="utf-8")  # raises on a binary or non-UTF-8 file


def test_provenance_fields(folder: str) -> None:
    for e in _entries(folder):
        where = e["file"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", e["repository"]), where
        assert re.fullmatch(r"[0-9a-f]{40}", e["commit"]), where
        assert e["url"] == f"https://github.com/{e['repository']}/blob/{e['commit']}/{e['path']}", where
        assert e["format"] in FORMATS, where
        assert e["framework"] in FRAMEWORKS, where


def test_ids_are_catalog_ids_or_proposed(folder: str) -> None:
    proposed = _labels(folder)["proposed_ids"]
    catalog = _catalog_ids()
    for pid, why in proposed.items():
        assert KEBAB.match(pid), pid
        # a proposed id that has since been written as an entry simply counts as a catalog id
        assert isinstance(why, str) and why.strip(), pid
    known = catalog | set(proposed)
    used_proposed = set()
    for e in _entries(folder):
        ids = list(e.get("used") or {}) + list(e.get("off") or {})
        ids += [f["trick"] for f in e.get("findings") or []]
        unknown = [i for i in ids if i not in known]
        assert not unknown, f"{e['file']}: unknown ids {unknown}"
        used_proposed.update(i for i in ids if i in proposed)
    assert set(proposed) == used_proposed, "a proposed id is never used"


def test_labels_are_well_formed_and_lines_are_within_the_file(folder: str) -> None:
    for e in _entries(folder):
        # a bare `off:` key is the boolean False to YAML 1.1, so the label file quotes it: make sure
        assert {"used", "off", "findings"} <= set(e), f"{e['file']}: missing used/off/findings"
        assert e["used"], f"{e['file']}: a training config with no trick in use"
        n = _line_count(folder, e["file"])
        for section in ("used", "off"):
            for tid, lab in (e.get(section) or {}).items():
                where = f"{e['file']} {section}.{tid}"
                assert isinstance(lab.get("settings"), dict), where
                assert all(isinstance(v, str) for v in lab["settings"].values()), f"{where}: settings are text"
                if section == "used":
                    assert lab["source"] in {"explicit", "default"}, where
                    if lab["source"] == "explicit":
                        assert "line" in lab, f"{where}: an explicit trick needs its line"
                else:
                    assert "line" in lab, f"{where}: an off trick is present in the file, so it has a line"
                if "line" in lab:
                    assert 1 <= lab["line"] <= n, f"{where}: line {lab['line']} not in 1..{n}"
        for f in e.get("findings") or []:
            assert f["severity"] in SEVERITIES, e["file"]
            assert f["message"].strip(), e["file"]
            assert 1 <= f["line"] <= n, f"{e['file']}: finding line {f['line']} not in 1..{n}"


@pytest.mark.parametrize(("where", "entry"), [(f, e) for f in sorted(FOLDERS) for e in _entries(f)],
                         ids=lambda x: x["file"] if isinstance(x, dict) else x)
def test_explicit_settings_appear_on_their_line(where: str, entry: dict) -> None:
    """An explicit label's line names one of its keys or values, so a label cannot drift off its line."""
    lines = (FOLDERS[where] / entry["file"]).read_text(encoding="utf-8").splitlines()
    for section in ("used", "off"):
        for tid, lab in (entry.get(section) or {}).items():
            if "line" not in lab or not lab["settings"] or lab.get("source") == "default":
                continue
            text = lines[lab["line"] - 1]
            tokens = [k.split(".")[-1] for k in lab["settings"]] + [v for v in lab["settings"].values() if v]
            assert any(t in text for t in tokens), f"{entry['file']}:{lab['line']} {section}.{tid}: {text!r}"
