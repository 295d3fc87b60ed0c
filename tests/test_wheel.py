"""The wheel: built from this checkout, installed into a fresh venv, it searches from an empty folder.

The wheel is built offline (hatchling, no build isolation) and installed with ``pip --no-index --no-deps``
into a new virtual environment (no system site-packages). Its third-party dependencies are the locked set
already installed for this checkout (pinned CPU torch included), made visible to the new venv through one
``.pth`` line, and ``pip check`` proves the wheel's declared requirements are satisfied by that set: the
test stays offline and takes seconds instead of re-installing torch. The tricks_kb package itself comes only
from the wheel (asserted). TRICKS_KB_WHEEL_FULL=1 instead installs torch and the lock file into the venv
from the registry, as a user would (a few minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, environment for it) with the freshly built wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRICKS_KB_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(root / "dist"), str(ROOT)],
         cwd=ROOT, env=env)
    wheel = next((root / "dist").glob("tricks_kb-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=env)
    py = venv / "bin" / "python"
    if os.environ.get("TRICKS_KB_WHEEL_FULL") == "1":
        _run([str(py), "-m", "pip", "install", "-q", "torch==2.13.0"], cwd=root, env=env, timeout=1800)
        _run([str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "requirements.lock"), str(wheel)],
             cwd=root, env=env, timeout=1800)
    else:
        purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=root, env=env).stdout.strip()
        Path(purelib, "locked_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        _run([str(py), "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--force-reinstall", str(wheel)],
             cwd=root, env=env)
        # Only the wheel's own requirements are in question (the venv's bundled setuptools is older than torch likes).
        check = subprocess.run([str(py), "-m", "pip", "check"], cwd=root, env=env, capture_output=True, text=True)
        assert not [line for line in check.stdout.splitlines() if line.startswith("tricks-kb")], check.stdout
    return venv, env, wheel


def test_the_wheel_carries_the_catalog_index_and_rubric(installed) -> None:
    _, _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    n = len(list((ROOT / "tricks").glob("*.yaml")))
    assert len([x for x in names if x.startswith("tricks_kb/data/tricks/") and x.endswith(".yaml")]) == n
    assert "tricks_kb/data/index/manifest.json" in names
    manifest = json.loads((ROOT / "index" / "manifest.json").read_text())
    for f in (ROOT / "index").iterdir():
        if f.is_file():
            assert f"tricks_kb/data/index/{f.name}" in names, f.name
    assert manifest and "tricks_kb/data/docs/evidence.md" in names
    assert "tricks_kb/site_templates/trick.html" in names and "tricks_kb/mcp_server.py" in names
    assert not [x for x in names if "__pycache__" in x or x.startswith(("tests/", "bench/"))]


def test_search_and_show_work_from_an_empty_folder(installed, tmp_path) -> None:
    venv, env, _ = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    where = _run([str(venv / "bin" / "python"), "-c", "import tricks_kb, tricks_kb.settings as c; "
                  "print(tricks_kb.__file__); print(c.repo_root())"], cwd=empty, env=env).stdout.split()
    assert where[0].startswith(str(venv)), f"tricks_kb imported from {where[0]}, not from the wheel"
    assert where[1].startswith(str(venv)) and where[1].endswith("tricks_kb/data")
    proc = _run([str(venv / "bin" / "tricks-kb"), "search", "label smoothing", "--json", "--k", "3"], cwd=empty, env=env)
    hits = json.loads(proc.stdout)
    assert hits[0]["id"] == "label-smoothing"
    assert "note:" not in proc.stderr, proc.stderr  # the bundled index is fresh: dense + BM25, no fallback
    show = _run([str(venv / "bin" / "tricks-kb"), "show", "adamw", "--json"], cwd=empty, env=env)
    assert json.loads(show.stdout)["id"] == "adamw"
    assert not list(empty.iterdir()), "commands wrote into the current folder"


def test_mcp_runs_from_the_wheel(installed, tmp_path) -> None:
    import anyio
    from mcp import ClientSession, StdioServerParameters, stdio_client

    venv, env, _ = installed
    params = StdioServerParameters(command=str(venv / "bin" / "tricks-kb"), args=["mcp"], env=env, cwd=str(tmp_path))

    async def main():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            trick = await session.call_tool("get_trick", {"id": "adamw"})
            rubric = await session.read_resource("tricks-kb://evidence-rubric")
            return trick, rubric

    trick, rubric = anyio.run(main)
    assert not trick.is_error and trick.structured_content["id"] == "adamw"
    assert rubric.contents[0].text.startswith("# Evidence grading")


def test_a_clones_own_catalog_wins_inside_the_clone(installed, tmp_path, search_index) -> None:
    venv, env, _ = installed
    clone = tmp_path / "clone"
    shutil.copytree(search_index.catalog_dir, clone / "tricks")
    (clone / ".git").mkdir()
    (clone / "src" / "deep").mkdir(parents=True)
    n = len(list((clone / "tricks").glob("*.yaml")))
    for cwd in (clone, clone / "src" / "deep"):
        stats = json.loads(_run([str(venv / "bin" / "tricks-kb"), "stats", "--json"], cwd=cwd, env=env).stdout)
        assert stats["tricks"] == n, (cwd, stats)
