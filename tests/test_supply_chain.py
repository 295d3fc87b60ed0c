"""Supply-chain hygiene: pinned dependencies, bandit-clean source, no unsafe loading or code execution."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANDIT = Path(sys.executable).parent / "bandit"


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _canon(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1))


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for n, line in enumerate((ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert m, f"requirements.lock:{n}: '{line}' is not an exact 'name==version' pin"
        assert _canon(m.group(1)) not in pins, f"requirements.lock:{n}: {m.group(1)} is pinned twice"
        pins[_canon(m.group(1))] = m.group(2)
    return pins


def test_every_pyproject_dependency_is_pinned_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    pins = _lock()
    missing = sorted({_requirement_name(r) for r in declared} - set(pins))
    assert not missing, f"in pyproject.toml but not pinned in requirements.lock: {missing}"
    # An exact pin in pyproject must agree with the lock.
    for req in declared:
        m = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*==\s*([^\s;]+)\s*", req)
        if m:
            assert pins[_canon(m.group(1))] == m.group(2), f"{req} disagrees with requirements.lock"


def test_dev_sh_installs_from_the_lock() -> None:
    dev = (ROOT / "dev.sh").read_text(encoding="utf-8")
    assert "-r requirements.lock" in dev and "--no-deps -e ." in dev


def test_bandit_finds_nothing_unjustified_in_src() -> None:
    res = subprocess.run([str(BANDIT), "-r", "src", "-q", "-f", "json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    report = json.loads(res.stdout)
    found = [f"{r['filename']}:{r['line_number']}: {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert not found, "bandit findings (fix them or add '# nosec BXXX # reason'):\n" + "\n".join(found)
    assert res.returncode == 0


def test_every_nosec_names_its_check_and_gives_a_reason() -> None:
    bad = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "nosec" not in line:
                continue
            m = re.search(r"#\s*nosec\s+(B\d{3}(?:[ ,]+B\d{3})*)\s*(?:#|-)\s*(\S.{9,})", line)
            if not m:
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bad, "each '# nosec' needs the check id(s) and a reason: '# nosec B603 # why':\n" + "\n".join(bad)


# Patterns that would parse YAML unsafely or execute catalog content, and where they are allowed.
FORBIDDEN = {
    r"\byaml\.load\(": "use the strict loader (tricks_kb.loader) or yaml.safe_load",
    r"\byaml\.(?:unsafe_load|full_load|load_all)\b|\bunsafe_load\b": "never construct arbitrary objects",
    r"\b(?:Unsafe|Full)Loader\b|\byaml\.Loader\b": "only SafeLoader/CSafeLoader",
    r"(?<![\w.])eval\(": "catalog text is data, never code",
    r"(?<![\w.])exec\(": "catalog text is data, never code",
    r"\bpickle\b|\bcloudpickle\b|\bdill\b|\bjoblib\.load\b": "pickle runs code on load",
    r"allow_pickle\s*=\s*True": "numpy pickles run code on load",
    r"\bmarshal\.loads\b|\bshelve\b": "unsafe deserialisation",
    r"shell\s*=\s*True": "no shell: pass argument lists",
    r"unsafe_allow_html\s*=\s*True": "catalog text must never be rendered as raw HTML",
}
# path (relative to the repo) -> patterns allowed there, with the reason.
ALLOWED: dict[str, set[str]] = {}


def _python_sources() -> list[Path]:
    files = sorted((ROOT / "src").rglob("*.py"))
    files += sorted(p for p in ROOT.glob("*.py"))
    files += sorted((ROOT / "pages").rglob("*.py")) if (ROOT / "pages").is_dir() else []
    return files


def _code_lines(path: Path):
    """Lines with comments and docstring-only lines dropped (prose may mention 'pickle')."""
    in_doc = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if s.count('"""') == 1:
            in_doc = not in_doc
            continue
        if in_doc or s.startswith("#") or (s.startswith('"""') and s.endswith('"""')):
            continue
        yield n, line.split("  #", 1)[0]


def test_no_unsafe_yaml_loading_or_code_execution() -> None:
    hits = []
    for path in _python_sources():
        rel = path.relative_to(ROOT).as_posix()
        for n, line in _code_lines(path):
            for pattern, why in FORBIDDEN.items():
                if re.search(pattern, line) and pattern not in ALLOWED.get(rel, set()):
                    hits.append(f"{rel}:{n}: {line.strip()}  ({why})")
    assert not hits, "unsafe constructs:\n" + "\n".join(hits)


def test_the_scan_would_catch_a_violation(tmp_path: Path) -> None:
    # Guard against a scan that silently matches nothing.
    sample = tmp_path / "bad.py"
    sample.write_text('import yaml\nx = yaml.load(open("f"))\ny = eval("1")\n# eval( in a comment is fine\n',
                      encoding="utf-8")
    found = [(n, p) for n, line in _code_lines(sample) for p in FORBIDDEN if re.search(p, line)]
    assert [n for n, _ in found] == [2, 3]


def test_the_loader_uses_only_the_safe_yaml_classes() -> None:
    from tricks_kb import loader

    assert loader._Loader.__name__ in ("CSafeLoader", "SafeLoader")
    result = loader.load_text("x: !!python/object/apply:os.system ['true']\n", "t.yaml")
    assert result.data is None and [p.code for p in result.problems] == ["TK006"]
