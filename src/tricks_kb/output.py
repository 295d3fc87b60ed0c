"""Everything the CLI prints or writes: hidden characters made visible, write failures made one clear error.

``SafeStream`` wraps standard output and error so no raw control or bidi character reaches a
terminal (it is shown as ``\\uXXXX``, which is also a valid escape inside JSON strings).
``write_file`` writes a regular file atomically and turns every failure (full disk, a folder, a
missing folder, no permission) into an :class:`OutputError` with a sentence for the user.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import tempfile
import unicodedata
from pathlib import Path
from typing import TextIO

from .hygiene import BIDI_CONTROLS, LINE_SEPARATORS


class OutputError(Exception):
    """Output could not be written; the message says what and why, for the user."""


class ReaderGone(OutputError):
    """The reader of a pipe went away (``tricks-kb search ... | head``): not an error worth a message."""


def _unsafe(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in BIDI_CONTROLS or ch in LINE_SEPARATORS


_TABLE = {c: f"\\u{c:04x}" for c in range(0x3000) if _unsafe(chr(c))}


def sanitize(text: str) -> str:
    """``text`` with control, bidi and line-separator characters replaced by ``\\uXXXX``."""
    return text.translate(_TABLE)


def describe(exc: OSError, what: str) -> str:
    """'cannot write FILE: the disk is full' and the like."""
    reasons = {
        errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
        errno.EPERM: "permission denied", errno.EISDIR: "it is a folder, not a file",
        errno.ENOENT: "its folder does not exist", errno.ENOTDIR: "a part of the path is not a folder",
    }
    return f"cannot write {what}: {reasons.get(exc.errno or 0, exc.strerror or str(exc))}"


def _failure(exc: OSError, label: str) -> OutputError:
    return ReaderGone(label) if exc.errno == errno.EPIPE else OutputError(describe(exc, label))


class SafeStream(io.TextIOBase):
    """A text stream that sanitises what is written and raises OutputError when writing fails."""

    def __init__(self, inner: TextIO, name: str) -> None:
        self.inner, self.label = inner, name

    def write(self, s: str) -> int:
        try:
            self.inner.write(sanitize(s))
        except OSError as exc:
            raise _failure(exc, self.label) from None
        return len(s)

    def flush(self) -> None:
        try:
            self.inner.flush()
        except OSError as exc:
            raise _failure(exc, self.label) from None

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


def silence(stream: TextIO) -> None:
    """Point a failed stream's file descriptor at /dev/null so the interpreter's exit flush stays quiet."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def write_file(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path``: regular files atomically (temp file + rename), others (pipes, devices) directly.

    Raises OutputError with a clear reason; a failed write leaves an existing file unchanged.
    """
    p = Path(path)
    shown = str(path)
    try:
        if p.is_dir():
            raise OutputError(f"cannot write {shown}: it is a folder; give a file name such as {p / 'catalog.json'}")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"cannot write {shown}: the folder {parent} does not exist")
        special = p.exists() and not stat.S_ISREG(p.stat().st_mode)
        if special:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            if p.exists():
                os.chmod(tmp, stat.S_IMODE(p.stat().st_mode))
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(describe(exc, shown)) from None
