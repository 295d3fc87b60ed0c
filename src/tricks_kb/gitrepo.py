"""The one way the project runs git: a fixed ``git -C <folder> ...`` command, never a shell."""

from __future__ import annotations

import subprocess  # nosec B404 # only the fixed `git` command runs, with list arguments, never a shell
from pathlib import Path

TIMEOUT = 60


class GitError(RuntimeError):
    """git is missing, timed out or failed; the message says which."""


def run_git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``git -C folder args``; raise GitError when git is missing or times out (not on a non-zero exit)."""
    cmd = ["git", "-C", str(folder), *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=TIMEOUT)  # nosec B603 # fixed git command, no shell
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args)} timed out") from None


def git_output(folder: Path, *args: str) -> str:
    """Standard output of a git command that must succeed; GitError otherwise."""
    res = run_git(folder, *args)
    if res.returncode != 0:
        raise GitError(res.stderr.strip() or f"git {' '.join(args)} failed")
    return res.stdout
