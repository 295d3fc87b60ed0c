"""Entries from careless contributors and attackers: YAML 1.1 scalars, hidden and look-alike characters,
files that are not entries, repeated citations and relation cycles (docs/reliability.md, issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tricks_kb.catalog import norm_label
from tricks_kb.diagnostics import Severity
from tricks_kb.hygiene import fold, skeleton
from tricks_kb.lint import validate
from tricks_kb.loader import FileRefused, load_text, read_regular_file

GOOD = Path(__file__).parent / "fixtures" / "good"
TEXT = (GOOD / "fixture-good.yaml").read_text(encoding="utf-8")


def _entry(tmp_path: Path, new_id: str, *subs: tuple[str, str], folder: str = "cat") -> Path:
    """A copy of the good fixture under a new id with the given (old, new) text substitutions."""
    text = (TEXT.replace("id: fixture-good", f"id: {new_id}", 1)
            .replace("name: Fixture good trick", f"name: Entry {new_id}", 1)
            .replace("aliases: [fixture alias]", f"aliases: [alias of {new_id}]", 1))
    for old, new in subs:
        assert old in text, old
        text = text.replace(old, new, 1)
    d = tmp_path / folder
    d.mkdir(exist_ok=True)
    p = d / f"{new_id}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _errors(paths: list[Path], catalog: Path) -> list:
    problems, _ = validate(paths, catalog)
    return [p for p in problems if p.severity is Severity.error]


# --- YAML 1.1 scalars ---------------------------------------------------------------------------

SCALARS = [
    # (old text, new text, as written, words the message must contain)
    ("name: Entry ee", "name: no", "no", "boolean false"),
    ("name: Entry ee", "name: Yes", "Yes", "boolean true"),
    ("name: Entry ee", "name: off", "off", "boolean false"),
    ("summary: A valid entry used by the tests.", "summary: on", "on", "boolean true"),
    ("summary: A valid entry used by the tests.", "summary: 0755", "0755", "octal number 493"),
    ("    seeds: 5", "    seeds: 010", "010", "octal number 8"),
    ("summary: A valid entry used by the tests.", "summary: 1:30", "1:30", "base-60 number 90"),
    ("      batch_size: 128", "      batch_size: 16:9", "16:9", "base-60 number 969"),
    ("      value: -1.5", "      value: 1e-8", "1e-8", "text in YAML 1.1"),
    ("    seeds: 5", "    seeds: 0o17", "0o17", "text in YAML 1.1"),
    ("    seeds: 5", "    seeds: 1_000", "1_000", "number 1000"),
    ("    seeds: 5", "    seeds: 0b101", "0b101", "binary number 5"),
    ("      value: -1.5", "      value: 1:30.5", "1:30.5", "base-60 number"),
]


@pytest.mark.parametrize(("old", "new", "written", "words"), SCALARS, ids=[s[1].strip() for s in SCALARS])
def test_yaml_1_1_scalars_are_refused_quoting_the_text_as_written(tmp_path: Path, old: str, new: str,
                                                                   written: str, words: str) -> None:
    p = _entry(tmp_path, "ee", (old, new))
    errors = _errors([p], tmp_path / "cat")
    assert [e.code for e in errors] == ["TK040"], [e.format() for e in errors]
    line = next(i for i, ln in enumerate(p.read_text().splitlines(), 1) if ln == new)
    assert errors[0].line == line
    assert words in errors[0].message
    assert f'"{written}"' in errors[0].hint  # quoted as written, never as YAML read it ("False", 8, 90)


@pytest.mark.parametrize(("field", "written"), [("name", "true"), ("name", "2019"), ("summary", "2019-01-01"),
                                                ("summary", "3.0")])
def test_other_types_in_text_fields_hint_the_text_as_written(tmp_path: Path, field: str, written: str) -> None:
    old = "name: Entry ee" if field == "name" else "summary: A valid entry used by the tests."
    p = _entry(tmp_path, "ee", (old, f"{field}: {written}"))
    errors = _errors([p], tmp_path / "cat")
    assert [e.code for e in errors] == ["TK012"]
    assert errors[0].hint == f'quote it: {field}: "{written}"'


def test_a_float_that_loses_its_digit_is_quoted_as_written(tmp_path: Path) -> None:
    p = _entry(tmp_path, "ee", ("      batch_size: 128", "      batch_size: 1.10"), ("      dataset: CIFAR-10",
                                                                                    "      dataset: 1.10"))
    errors = _errors([p], tmp_path / "cat")
    hints = {e.code: e.hint for e in errors}
    assert set(hints) == {"TK012", "TK014"}, [e.format() for e in errors]
    assert all('"1.10"' in h for h in hints.values())


def test_yaml_1_2_forms_and_quoted_values_are_accepted(tmp_path: Path) -> None:
    p = _entry(tmp_path, "ee", ("      value: -1.5", "      value: 1.0e-8"), ("name: Entry ee", 'name: "no"'),
               ("summary: A valid entry used by the tests.", "summary: '1:30'"))
    assert _errors([p], tmp_path / "cat") == []


# --- hidden characters ---------------------------------------------------------------------------

HIDDEN = [
    ("summary", '"clear \\e[2J screen"', "U+001B ESC"),
    ("summary", '"bell \\a"', "U+0007 BEL"),
    ("summary", '"nul \\0 byte"', "U+0000 NUL"),
    ("summary", '"C1 \\x9b CSI"', "U+009B"),
    ("summary", '"osc \\e]52;c;cHduZWQ=\\a clipboard"', "U+001B ESC"),
    ("summary", '"evil \\u202e txt.exe"', "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("summary", '"isolate \\u2066 x"', "U+2066"),
    ("summary", '"line \\u2028 separator"', "U+2028"),
    ("name", '"Ad\\u200bam"', "U+200B ZERO WIDTH SPACE"),
    ("name", '"Ad\\u00adam"', "U+00AD SOFT HYPHEN"),
    ("aliases", '["ada\\u200dm"]', "U+200D ZERO WIDTH JOINER"),
    ("aliases", '["\\u3164"]', "U+3164 HANGUL FILLER"),
    ("url", '"https://exa\\u200bmple.org/x"', "U+200B"),
]


@pytest.mark.parametrize(("field", "value", "name"), HIDDEN, ids=[h[2] + "-" + h[0] for h in HIDDEN])
def test_hidden_characters_are_refused(tmp_path: Path, field: str, value: str, name: str) -> None:
    subs = {"summary": "summary: A valid entry used by the tests.", "name": "name: Entry ee",
            "aliases": "aliases: [alias of ee]"}
    if field == "url":
        p = _entry(tmp_path, "ee", ('    arxiv: "1711.05101"', f'    arxiv: "1711.05101"\n    url: {value}'))
    else:
        p = _entry(tmp_path, "ee", (subs[field], f"{field}: {value}"))
    errors = _errors([p], tmp_path / "cat")
    assert [e.code for e in errors] == ["TK041"], [e.format() for e in errors]
    assert name in errors[0].message


def test_hidden_character_in_a_key_is_refused(tmp_path: Path) -> None:
    p = _entry(tmp_path, "ee", ("summary: A valid", '"summ\\u200bary": x\nsummary: A valid'))
    assert [e.code for e in _errors([p], tmp_path / "cat")] == ["TK041"]


def test_letters_of_every_script_and_emoji_in_prose_are_fine(tmp_path: Path) -> None:
    p = _entry(tmp_path, "ee", ("summary: A valid entry used by the tests.",
                               "summary: Naïve café, 東京, Привет, مرحبا, emoji 👩\u200d💻, tab\\tinside."),
               ("name: Entry ee", "name: Entrée e"))
    assert _errors([p], tmp_path / "cat") == []


def test_skeleton_folds_look_alike_letters() -> None:
    assert skeleton("\u0430") == "a"  # Cyrillic а
    assert fold("Ad\u0430m") == fold("adam") == fold("ADAM")
    assert fold("ΑdamW") == fold("AdamW")  # Greek capital alpha
    assert fold("Warm-up") == fold("warm up")
    assert fold("Адам") and fold("学习率预热") == "学习率预热"  # non-Latin names keep their letters
    assert fold("Adam") != fold("RAdam")
    assert norm_label is not None and norm_label("Ad\u0435m") == fold("Adem")


def test_confusable_alias_clashes_with_another_entrys_name(tmp_path: Path) -> None:
    _entry(tmp_path, "first", ("name: Entry first", "name: Gradient clipping"))
    second = _entry(tmp_path, "second", ("aliases: [alias of second]", "aliases: [Gr\u0430dient clipping]"))
    errors = _errors([second], tmp_path / "cat")
    assert [e.code for e in errors] == ["TK022"], [e.format() for e in errors]
    assert "looks the same as 'Gradient clipping'" in errors[0].message
    assert "CYRILLIC SMALL LETTER A" in errors[0].message


def test_names_in_non_latin_letters_are_compared(tmp_path: Path) -> None:
    _entry(tmp_path, "first", ("name: Entry first", "name: Разогрев скорости"))
    second = _entry(tmp_path, "second", ("aliases: [alias of second]", "aliases: [разогрев  скорости]"))
    assert [e.code for e in _errors([second], tmp_path / "cat")] == ["TK022"]
    other = _entry(tmp_path, "third", ("aliases: [alias of third]", "aliases: [Затухание]"))
    assert _errors([other], tmp_path / "cat") == []


def test_echoed_values_are_capped(tmp_path: Path) -> None:
    p = _entry(tmp_path, "ee", ("summary: A valid entry used by the tests.", "summary: " + "x" * 200_000),
               ("category: optimizer", "category: " + "y" * 50_000))
    problems, _ = validate([p], tmp_path / "cat")
    assert {q.code for q in problems} == {"TK013"}
    for q in problems:
        assert len(q.format()) < 1000 and "characters)" in q.format()


# --- files ------------------------------------------------------------------------------------------


def test_every_file_in_the_catalog_folder_is_accepted_or_flagged(tmp_path: Path) -> None:
    good = _entry(tmp_path, "good-one")
    cat = good.parent
    (cat / "zz-new.YAML").write_text("id: [\n", encoding="utf-8")
    (cat / "other.yml").write_text(good.read_text(), encoding="utf-8")
    (cat / "notes.md").write_text("# notes\n", encoding="utf-8")
    (cat / "sub").mkdir()
    problems, n = validate(None, cat)
    flagged = {Path(p.path).name: p.code for p in problems}
    assert n == 5
    assert flagged == {"zz-new.YAML": "TK042", "other.yml": "TK042", "notes.md": "TK042", "sub": "TK042"}
    hint = next(p.hint for p in problems if p.path.endswith("zz-new.YAML"))
    assert hint == "rename it to zz-new.yaml"


def test_symlink_outside_the_catalog_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: leaked\nname: TOP-SECRET-CONTENT\n", encoding="utf-8")
    cat = _entry(tmp_path, "good-one").parent
    (cat / "evil.yaml").symlink_to(secret)
    (cat / "inside.yaml").symlink_to(cat / "good-one.yaml")  # inside the folder: a plain duplicate
    problems, _ = validate(None, cat)
    evil = [p for p in problems if p.path.endswith("evil.yaml")]
    assert [p.code for p in evil] == ["TK043"]
    assert all("TOP-SECRET" not in p.format() for p in problems)


@pytest.mark.timeout(60)
def test_fifo_and_devices_are_refused_without_hanging(tmp_path: Path) -> None:
    cat = _entry(tmp_path, "good-one").parent
    os.mkfifo(cat / "f.yaml")
    env = {**os.environ, "TRICKS_KB_CATALOG": str(cat)}
    for target in (str(cat / "f.yaml"), "/dev/zero", str(cat)):
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "tricks_kb", "validate", target], capture_output=True,
                             text=True, timeout=30, env=env)
        assert time.perf_counter() - start < 20
        assert res.returncode == 1, res.stderr
        assert "TK043" in res.stdout and "Traceback" not in res.stderr
    with pytest.raises(FileRefused) as exc:
        read_regular_file("/dev/zero")
    assert exc.value.code == "TK043"


@pytest.mark.timeout(120)
def test_search_batch_refuses_devices_and_oversized_input() -> None:
    res = subprocess.run([sys.executable, "-m", "tricks_kb", "search", "--batch", "/dev/zero"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "character device" in res.stderr and "Traceback" not in res.stderr
    with open("/dev/zero", "rb") as zero:
        res = subprocess.run([sys.executable, "-m", "tricks_kb", "search", "--batch", "-"], stdin=zero,
                             capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "limit" in res.stderr


def test_size_limit_is_enforced_while_reading(tmp_path: Path) -> None:
    p = tmp_path / "big.yaml"
    p.write_bytes(b"a: b\n" * 100)
    assert read_regular_file(p, limit=500) == b"a: b\n" * 100
    with pytest.raises(FileRefused) as exc:
        read_regular_file(p, limit=499)
    assert exc.value.code == "TK005"


# --- references --------------------------------------------------------------------------------------


def test_claim_citing_one_source_many_times(tmp_path: Path) -> None:
    keys = ", ".join(["first2019"] * 3000)
    p = _entry(tmp_path, "ee", ("    sources: [first2019, second2020]", f"    sources: [second2020, {keys}]"))
    errors = _errors([p], tmp_path / "cat")
    assert [e.code for e in errors] == ["TK044"]
    assert "3000 times" in errors[0].message and len(errors[0].format()) < 400


@pytest.mark.parametrize("rel", ["part-of", "generalizes"])
def test_relation_cycles_are_flagged_on_every_member(tmp_path: Path, rel: str) -> None:
    ids = ["aa-one", "bb-two", "cc-three"]
    for a, b in zip(ids, ids[1:] + ids[:1], strict=True):
        _entry(tmp_path, a, ("related: []", f"related:\n  - id: {b}\n    type: {rel}"))
    _entry(tmp_path, "dd-four", ("related: []", f"related:\n  - id: aa-one\n    type: {rel}"))  # a branch, no cycle
    problems, _ = validate(None, tmp_path / "cat")
    cyc = [p for p in problems if p.code == "TK045"]
    assert sorted(Path(p.path).stem for p in cyc) == ids
    assert "aa-one -> bb-two -> cc-three -> aa-one" in cyc[0].message


def test_two_entries_part_of_each_other(tmp_path: Path) -> None:
    _entry(tmp_path, "aa-one", ("related: []", "related:\n  - id: bb-two\n    type: part-of"))
    b = _entry(tmp_path, "bb-two", ("related: []", "related:\n  - id: aa-one\n    type: part-of"))
    assert [e.code for e in _errors([b], tmp_path / "cat")] == ["TK045"]


def test_loader_keeps_positions_with_several_problems() -> None:
    loaded = load_text("id: x\nname: no\nsummary: \"a\\eb\"\nseeds: 010\n", "t.yaml")
    assert [(p.code, p.line) for p in loaded.problems] == [("TK040", 2), ("TK041", 3), ("TK040", 4)]


@pytest.mark.timeout(90)
def test_check_refuses_fifos_and_devices_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "config.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("lr: 1\n" * 100_000, encoding="utf-8")
    for target, code in ((tmp_path / "config.yaml", "RC005"), (Path("/dev/zero"), "RC005"), (tmp_path, "RC005"),
                         (big, "RC002")):
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "tricks_kb", "check", str(target)], capture_output=True,
                             text=True, timeout=60)
        assert time.perf_counter() - start < 30
        assert res.returncode == 2 and code in res.stdout + res.stderr, (target, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr
