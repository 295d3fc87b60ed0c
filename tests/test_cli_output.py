"""CLI output: write failures are one clear error with a non-zero exit (a reader gone from a pipe is quiet, as for
any Unix filter); nothing printed holds raw control characters."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tricks_kb.cli import main
from tricks_kb.output import OutputError, sanitize, write_file

CLI = [sys.executable, "-m", "tricks_kb"]


def _run(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=kw.pop("capture", True), text=True, timeout=120, **kw)


def _one_clear_error(res: subprocess.CompletedProcess[str], words: str) -> None:
    assert res.returncode == 1, (res.returncode, res.stderr)
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and words in errors[0], res.stderr
    assert "Traceback" not in res.stderr and "Exception ignored" not in res.stderr


@pytest.mark.parametrize("target", ["/dev/full", ".", "no/such/dir/x.json"])
def test_export_to_a_bad_target(tmp_path: Path, target: str) -> None:
    words = {"/dev/full": "the disk is full", ".": "it is a folder", "no/such/dir/x.json": "does not exist"}[target]
    _one_clear_error(_run("export", "-o", target, cwd=tmp_path), words)


@pytest.mark.parametrize("args", [["export"], ["export", "--format", "csv"], ["show", "adamw"], ["stats"],
                                  ["validate"], ["schema"]])
def test_stdout_on_a_full_disk(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        res = subprocess.run([*CLI, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    _one_clear_error(res, "cannot write standard output: the disk is full")


@pytest.mark.parametrize("args", [["export"], ["show", "adamw"], ["validate", "--format", "json"]])
def test_stdout_closed_early(args: list[str]) -> None:
    r, w = os.pipe()
    os.close(r)  # the reader is gone before anything is written (`| head -0`)
    try:
        res = subprocess.run([*CLI, *args], stdout=w, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(w)
    # quiet like `git log | head`: no error line, no traceback, the exit status of SIGPIPE
    assert res.returncode == 141, (res.returncode, res.stderr)
    assert res.stderr == "", res.stderr



def test_schema_write_into_a_read_only_place_is_clear(tmp_path: Path) -> None:
    (tmp_path / "schema").write_text("a file where a folder should be", encoding="utf-8")
    res = _run("schema", "--write", env={**os.environ, "TRICKS_KB_HOME": str(tmp_path)})
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: cannot write")


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="the disk is full"):
        write_file(target, "new text")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_write_file_writes_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("a", encoding="utf-8")
    target.chmod(0o600)
    write_file(target, "b")
    assert target.read_text(encoding="utf-8") == "b" and (target.stat().st_mode & 0o777) == 0o600


def test_sanitize_makes_every_control_character_visible() -> None:
    raw = "a\x1b[2J\x07\x00\x9b\u202e\u2028b\tc\nd"
    out = sanitize(raw)
    assert out == "a\\u001b[2J\\u0007\\u0000\\u009b\\u202e\\u2028b\tc\nd"
    assert all(ch in "\t\n" or (ch.isprintable()) for ch in out)


def test_nothing_printed_has_raw_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    evil = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\u202e"
    assert main(["show", evil]) == 1
    bad = tmp_path / f"x{evil}.yaml"
    bad.write_text("id: [\n", encoding="utf-8")
    main(["validate", str(bad)])
    main(["validate", "--format", "json", str(bad)])
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\u001b]52" in captured.err
