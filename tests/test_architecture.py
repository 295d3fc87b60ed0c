"""The layer list in README.md ("Architecture") holds: imports only go down, heavy libraries stay on their side,
every module opens with a docstring and stays under 400 lines, and Streamlit flags live once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "tricks_kb"
MAX_LINES = 400


def _layers() -> dict[str, int]:
    """Module -> layer number (0 lowest), read from README.md's Architecture table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## Architecture", 1)[1].split("\n## ", 1)[0]
    out: dict[str, int] = {}
    for no, row in enumerate(r for r in text.splitlines() if re.match(r"\| \d", r)):
        for name in re.findall(r"`([\w/]+)`", row.split("|")[3]):
            out[name] = no
    return out


def _module(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    return "ui" if rel.parts[0] == "ui" else rel.as_posix()


def _own(parts: list[str]) -> str | None:
    """tricks_kb.x.y -> 'x' (or 'ui' for anything under ui/); None outside the package."""
    if not parts or parts[0] != "tricks_kb" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(project modules, third-party top-level packages) imported anywhere in the file, lazily or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["tricks_kb", *path.relative_to(PKG).parts[:-1]]
    own: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                if node.module:
                    own.add(_own([*base, *node.module.split(".")]) or "?")
                else:  # `from . import settings`
                    own.update(_own([*base, a.name]) or "?" for a in node.names)
            elif node.module and node.module.startswith("tricks_kb"):
                own.add(_own(node.module.split(".")) or "?")
            elif node.module:
                other.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                (own.add(_own(parts) or "?") if parts[0] == "tricks_kb" else other.add(parts[0]))
    return own - {"?", "__init__"}, other


def _files() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def test_every_module_is_in_the_layer_list() -> None:
    layers = _layers()
    assert {"settings", "catalog", "search", "cli", "ui"} <= set(layers), layers
    missing = sorted({_module(p) for p in _files()} - set(layers) - {"__init__", "__main__"})
    assert missing == [], f"add these modules to README.md's Architecture table: {missing}"


def test_imports_only_go_down_or_sideways() -> None:
    layers = _layers()
    bad = []
    for path in _files():
        me = _module(path)
        if me not in layers:
            continue
        own, _ = _imports(path)
        for dep in sorted(own):
            if dep in layers and layers[dep] > layers[me]:
                bad.append(f"{path.relative_to(ROOT)} ({me}, layer {layers[me]}) imports {dep} (layer {layers[dep]})")
    assert bad == []


def test_heavy_libraries_stay_on_their_side() -> None:
    layers = _layers()
    search_layer = layers["search"]
    bad = []
    for path in _files():
        me = _module(path)
        _, other = _imports(path)
        if me == "ui":
            bad += [f"{path.name} imports {lib}" for lib in other & {"faiss", "bm25s", "torch", "sentence_transformers"}]
        elif layers.get(me, search_layer) < search_layer:
            bad += [f"{path.name} imports {lib}" for lib in other & {"faiss", "bm25s", "torch", "streamlit"}]
        elif me != "testing":
            bad += [f"{path.name} imports streamlit" for lib in other & {"streamlit"}]
    assert bad == []


def test_the_checker_sees_imports() -> None:
    # The rules above must see lazy and relative imports, or they prove nothing.
    own, other = _imports(PKG / "search.py")
    assert {"filters", "opening", "query", "catalog"} <= own
    own, other = _imports(PKG / "ui" / "resources.py")
    assert "search" in own and "settings" in own
    own, other = _imports(PKG / "ui" / "page_search.py")  # resources keeps its own registry, without streamlit
    assert "schema" in own and "streamlit" in other
    assert _layers()["schema"] < _layers()["catalog"] < _layers()["search"] < _layers()["cli"]


def test_modules_are_small_and_say_their_job() -> None:
    for path in _files():
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= MAX_LINES, f"{path.relative_to(ROOT)} is over {MAX_LINES} lines"
        assert ast.get_docstring(ast.parse(text)), f"{path.relative_to(ROOT)} has no module docstring"


def test_settings_is_the_only_reader_of_tricks_kb_variables() -> None:
    bad = [str(p.relative_to(ROOT)) for p in _files()
           if p.name != "settings.py" and re.search(r"environ(\.get)?\(?\[?[\"']TRICKS_KB_", p.read_text("utf-8"))]
    assert bad == []


def test_streamlit_server_flags_live_once() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert 'fileWatcherType = "none"' in config and "headless = true" in config
    for path in [ROOT / "dev.sh", *_files(), *sorted((ROOT / "bench").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        for flag in ("--server.headless", "--server.fileWatcherType", "--browser.gatherUsageStats"):
            assert flag not in text, f"{path.relative_to(ROOT)} repeats {flag}: it belongs in .streamlit/config.toml"
