"""Test plumbing: start and stop a real ``streamlit run serve.py`` (what ``./dev.sh app`` serves) on a free
local port (browser tests, benchmarks). ``serve.py`` wraps ``app.py`` with the security headers and the
offline IP discovery of ``ui/server.py``.

Server flags (headless, no file watcher, no usage stats) live once, in ``.streamlit/config.toml``,
which streamlit reads from the project folder this starts it in.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess  # nosec B404 # starts only our own `python -m streamlit run serve.py`, no shell
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .settings import repo_root

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running streamlit server; ``stop()`` kills its whole process group."""

    proc: subprocess.Popen
    port: int
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(log_path: Path, env: dict[str, str] | None = None, port: int | None = None,
                 timeout: float = 60.0, script: str = "serve.py", health_path: str = "/_stcore/health",
                 args: list[str] | None = None) -> Server:
    """Run ``streamlit run serve.py`` through ``ui/serve.py`` (as ``./dev.sh app`` does, so the engine
    starts loading with the server; flags from .streamlit/config.toml) and wait until ``health_path`` says ok.

    (Under a base URL path, e.g. ``STREAMLIT_SERVER_BASE_URL_PATH=kb``, the health path is ``/kb/_stcore/health``.)
    ``args``: launcher arguments instead of the default ``--server.address 127.0.0.1`` (e.g. ``--expose HOST``).
    """
    port = port or free_port()
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
                **(env or {})}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w", encoding="utf-8")
    cmd = [sys.executable, "-m", "tricks_kb.ui.serve", str(repo_root() / script), "--server.port", str(port),
           *(args if args is not None else ["--server.address", "127.0.0.1"])]
    proc = subprocess.Popen(cmd, cwd=repo_root(), env=full_env, stdout=log, stderr=subprocess.STDOUT,  # nosec B603 # fixed argv: this interpreter + our streamlit launcher, no shell
                            start_new_session=True)
    server = Server(proc, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}{health_path}", timeout=2) as r:  # noqa: S310  # nosec B310 # http://127.0.0.1 health URL built here
                if r.read().decode().strip() == "ok":
                    return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"streamlit did not become healthy within {timeout:.0f}s:\n{server.log()[-3000:]}")
