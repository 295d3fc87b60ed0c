"""Property tests: the loader turns any input into data or positioned problems, never an exception."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tricks_kb.catalog import load_entry
from tricks_kb.diagnostics import CODES
from tricks_kb.loader import MAX_FILE_BYTES, load_text

FIXTURE = Path(__file__).parent / "fixtures" / "good" / "fixture-good.yaml"
GOOD = FIXTURE.read_text(encoding="utf-8")
LINES = GOOD.split("\n")
MAX_SECONDS = 2.0  # per call; a 100 kB entry loads in well under 0.2 s here

PROPS = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check_result(result, text: str) -> None:
    """Either data without problems, or problems with known codes at a line/col inside the text."""
    n_lines = text.count("\n") + 1
    if not result.problems:
        assert isinstance(result.data, dict)
        return
    for p in result.problems:
        assert p.code in CODES, p
        assert 1 <= p.line <= n_lines + 1, (p, n_lines)
        assert p.col >= 1, p
        if p.line <= n_lines:
            line_len = len(text.split("\n")[p.line - 1])
            assert p.col <= line_len + 2, (p, line_len)


def _timed_load(text: str):
    start = time.perf_counter()
    result = load_text(text, "t.yaml")
    assert time.perf_counter() - start < MAX_SECONDS
    return result


@PROPS
@given(st.text(max_size=2000))
@example("")
@example("\ufeffid: x")
@example("a: &x 1\nb: *x")
@example("!!python/object:os.system ls")
@example("a: 1\na: 2")
@example("- [" * 60)
@example("[" * 100_000)
@example("{a: " * 20_000)
def test_arbitrary_text(text: str) -> None:
    _check_result(_timed_load(text), text)


_CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.characters(min_codepoint=0x7F, max_codepoint=0x9F)
_EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)


@PROPS
@given(st.lists(st.sampled_from(LINES), max_size=40), st.text(_CONTROL | _EMOJI, max_size=30),
       st.integers(min_value=0, max_value=40))
def test_control_characters_and_emoji(lines: list[str], noise: str, at: int) -> None:
    body = "\n".join(lines)
    text = body[:at] + noise + body[at:]
    _check_result(_timed_load(text), text)


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(["summary", "how_to", "verdict_reason"]), st.text(_EMOJI | st.just("x"), min_size=1, max_size=5))
def test_100_kb_inputs(field: str, unit: str) -> None:
    # A real entry with one field blown up to about 100 kB, as plain text and as a quoted scalar.
    big = (unit * (100_000 // len(unit)))[:100_000]
    for value in (big, '"' + big.replace('"', "") + '"'):
        text = "\n".join(f"{field}: {value}" if ln.startswith(f"{field}:") else ln for ln in LINES)
        if f"{field}:" not in GOOD:
            text += f"\n{field}: {value}"
        result = _timed_load(text)
        _check_result(result, text)


def _mutate(text: str, ops: list[tuple[int, int, str]]) -> str:
    chars = list(text)
    for kind, pos, s in ops:
        if not chars:
            chars = list(s)
            continue
        i = pos % len(chars)
        if kind == 0:
            del chars[i:i + max(1, len(s))]
        elif kind == 1:
            chars[i:i] = list(s)
        else:
            chars[i] = s[:1] or " "
    return "".join(chars)


_OPS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6),
                          st.text(st.sampled_from(list(" \t\n:-#&*!|>'\"[]{},?%@`") + ["\u00e9", "\U0001f600"]),
                                  max_size=4)), min_size=1, max_size=8)


@PROPS
@given(_OPS)
def test_mutations_of_a_real_entry_load_text(ops: list[tuple[int, int, str]]) -> None:
    text = _mutate(GOOD, ops)
    _check_result(_timed_load(text), text)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(ops=_OPS, raw=st.binary(max_size=64), where=st.integers(0, 4000))
def test_mutations_of_a_real_entry_load_entry(tmp_path_factory, ops, raw: bytes, where: int) -> None:
    # load_entry adds the model check and the file layer (bytes, BOM, size): still never raises.
    text = _mutate(GOOD, ops)
    data = text.encode("utf-8")
    data = data[:where] + raw + data[where:]
    path = tmp_path_factory.mktemp("prop") / "fixture-good.yaml"
    path.write_bytes(data)
    start = time.perf_counter()
    entry = load_entry(path)
    assert time.perf_counter() - start < MAX_SECONDS
    assert entry.trick is not None or entry.problems
    n_lines = data.count(b"\n") + 1
    for p in entry.problems:
        assert p.code in CODES, p
        assert 1 <= p.line <= n_lines + 1 and p.col >= 1, (p, n_lines)


def test_oversized_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"summary: " + b"x" * (MAX_FILE_BYTES + 10))
    entry = load_entry(path)
    assert entry.trick is None
    assert [p.code for p in entry.problems] == ["TK005"]


def test_the_unmutated_entry_is_data() -> None:
    # Guards the properties above against passing vacuously: the seed entry itself loads cleanly.
    result = load_text(GOOD, "fixture-good.yaml")
    assert result.problems == [] and result.data["id"] == "fixture-good"
