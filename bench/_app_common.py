"""Shared bits of the app benchmarks: machine description and the round-trip probe run in the page."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
from pathlib import Path

# True once the results caption names the query (the rerun for that query has drawn its results).
RESULTS_FOR_JS = """
(q) => [...document.querySelectorAll("[data-testid='stCaptionContainer']")]
  .some(e => e.innerText.includes('for “' + q.slice(0, 80) + '”'))
"""
QUERIES = [
    "warmup", "label smoothing", "my loss spikes early in training", "weight decay with adam", "EMA of weights",
    "gradient clipping", "cosine or WSD?", "dropout in transformers", "lable smothing", "learning rate schedule",
    "check loss at init", "mixup augmentation", "roll back after a loss spike", "validation loss goes up",
    "decoupled weight decay", "stabilize training", "batch size", "regularization for vision", "AdamW", "SGDR",
]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def summary(values: list[float]) -> str:
    """'median X ms, p95 Y ms, max Z ms (n=N)'."""
    if not values:
        return "no samples"
    return (f"median {statistics.median(values):.0f} ms, p95 {percentile(values, 95):.0f} ms, "
            f"max {max(values):.0f} ms (n={len(values)})")


def machine() -> str:
    """CPU model, cores, RAM, Python, Streamlit, chromium versions."""
    cpu = platform.processor() or ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, AttributeError):
        pass
    import streamlit

    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                                  check=False).stdout.strip()
    except OSError:
        chromium = "chromium not found"
    return (f"{cpu}, {os.cpu_count()} cores, {mem}; Python {platform.python_version()}, "
            f"Streamlit {streamlit.__version__}, {chromium}")


def server_env(index: str | None, catalog: str | None) -> dict[str, str]:
    """Environment for the app server: the --index and --catalog folders, when given."""
    env = {}
    if index:
        env["TRICKS_KB_INDEX"] = str(Path(index).resolve())
    if catalog:
        env["TRICKS_KB_CATALOG"] = str(Path(catalog).resolve())
    return env
