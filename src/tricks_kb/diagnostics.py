"""Problems found in the catalog: stable codes, positions, messages and hints."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    """error blocks a merge; warning is advisory."""

    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Code:
    """A stable problem code with its short name and meaning."""

    code: str
    name: str
    severity: Severity
    description: str


_CODES = [
    Code("TK001", "yaml-syntax", Severity.error, "The file is not valid YAML (tabs, bad indentation, unclosed quotes)."),
    Code("TK002", "not-a-mapping", Severity.error, "The file is empty, or its top level is a list or a scalar, not a mapping."),
    Code("TK003", "duplicate-key", Severity.error, "A mapping has the same key twice; YAML would silently keep the last."),
    Code("TK004", "encoding", Severity.error, "The file is not UTF-8 text, or starts with a byte-order mark."),
    Code("TK005", "file-too-large", Severity.error, "The file is larger than the size limit for one entry."),
    Code("TK006", "forbidden-tag", Severity.error, "An explicit YAML tag such as !!python/object; entries are plain data."),
    Code("TK007", "anchor-or-alias", Severity.error, "YAML anchors/aliases (&a / *a) are refused: they hide content and enable alias bombs."),
    Code("TK010", "unknown-field", Severity.error, "A key that the entry format does not define (often a typo)."),
    Code("TK011", "missing-field", Severity.error, "A required field is absent."),
    Code("TK012", "wrong-type", Severity.error, "A value has the wrong type (a list where text is expected, text where a number is)."),
    Code("TK013", "bad-value", Severity.error, "A value outside its vocabulary, pattern or allowed range."),
    Code("TK014", "unquoted-identifier", Severity.error, "An arXiv id, DOI or version written as a bare number, which YAML turns into a float."),
    Code("TK020", "id-filename-mismatch", Severity.error, "The id field differs from the file name."),
    Code("TK021", "duplicate-id", Severity.error, "Two files declare the same id."),
    Code("TK022", "duplicate-name", Severity.error, "A name or alias is used by two entries (or twice in one)."),
    Code("TK023", "dangling-related", Severity.error, "A related link names an id that does not exist (or the entry itself)."),
    Code("TK024", "unknown-source", Severity.error, "A claim cites a source key that the entry does not define."),
    Code("TK025", "unused-source", Severity.error, "A source that no claim cites."),
    Code("TK026", "bad-url", Severity.error, "A URL that is not http(s), or is malformed."),
    Code("TK027", "bad-identifier", Severity.error, "An arXiv id or DOI that is malformed, or a source with no identifier."),
    Code("TK028", "bad-date", Severity.error, "A date that does not exist, or lies in the future."),
    Code("TK029", "unsupported-verdict", Severity.error, "The verdict is not supported by the graded claims."),
    Code("TK030", "duplicate-related", Severity.error, "The same related id is listed twice."),
    Code("TK031", "inconsistent-source", Severity.error, "One arXiv id or DOI is cited with a different title, year or first author elsewhere in the catalog."),
    Code("TK032", "origin-missing", Severity.error, "Neither or both of introduced_by and origin, or introduced_by is not a source key."),
    Code("TK033", "contested-one-sided", Severity.error, "A contested entry lacks a 'helps' claim or a 'hurts'/'no-effect' claim."),
    Code("TK034", "debunked-uncontrolled", Severity.error, "A debunked entry cites no controlled evidence of no effect."),
    Code("TK035", "source-key-clash", Severity.error, "One source key names two papers, or one paper has two keys, across the catalog."),
    Code("TK036", "proposer-run-unmarked", Severity.error, "A comparison run only by the trick's proposers is not rated down 'proposer-run' (or says equal and unequal tuning)."),
    Code("TK040", "yaml-version-ambiguous", Severity.error, "A plain value that YAML 1.1 and YAML 1.2 read differently (no, on, 010, 0755, 1:30, 1e-8): quote text, write numbers in plain decimal."),
    Code("TK041", "hidden-character", Severity.error, "A control character, a bidi control or line separator anywhere, or an invisible character (zero-width, soft hyphen) in an id, name, alias, tag, key or URL."),
    Code("TK042", "not-an-entry-file", Severity.error, "A file or folder in the catalog folder that is not an entry: entries are <id>.yaml."),
    Code("TK043", "unsafe-file", Severity.error, "A path that is not a regular file (FIFO, device, socket), or a symlink that points outside its folder."),
    Code("TK044", "repeated-citation", Severity.error, "A claim cites the same source key more than once."),
    Code("TK045", "relation-cycle", Severity.error, "part-of (or generalizes) links that go round in a circle: A part of B, B part of A."),
    Code("TK050", "detect-unknown-claim", Severity.error, "A detect block or finding rule cites a claim number the entry does not have."),
    Code("TK051", "detect-impossible-condition", Severity.error, "A detect signal or rule condition can never hold (crossing bounds, empty list)."),
    Code("TK052", "detect-unknown-trick", Severity.error, "A finding rule refers to a trick id that is not in the catalog, so it never fires."),
    Code("TK053", "detect-duplicate-rule", Severity.error, "Two finding rules of one entry share a name."),
    Code("TK101", "near-duplicate", Severity.warning, "The entry is very close to an existing one (aliases overlap or text is nearly the same)."),
    Code("TK102", "missing-schema-comment", Severity.warning, "The first line lacks the yaml-language-server schema comment."),
    Code("TK103", "stale-review", Severity.warning, "last_reviewed is more than two years old."),
    Code("TK104", "unstable-url", Severity.warning, "A source URL can change under the citation (a branch name in a code-host link, 'stable' or 'latest' in a docs path)."),
]
CODES: dict[str, Code] = {c.code: c for c in _CODES}


MAX_MESSAGE = 400


def clip(value: object, limit: int = 60) -> str:
    """``value`` as text of at most ``limit`` characters, saying how long the original was."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


@dataclass(frozen=True)
class Problem:
    """One problem at one place in one file."""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        # No message may echo an unbounded value (a 200,000-character summary is one short line).
        object.__setattr__(self, "message", clip(self.message, MAX_MESSAGE))
        if self.hint is not None:
            object.__setattr__(self, "hint", clip(self.hint, MAX_MESSAGE))

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    def format(self) -> str:
        """Render as ``path:line:col: CODE message`` plus an indented hint line."""
        head = f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"
        return head + (f"\n    hint: {self.hint}" if self.hint else "")

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["name"] = CODES[self.code].name
        return d


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Order by file, then position, then code."""
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.code))


def render_text(problems: list[Problem], n_files: int) -> str:
    """Text report: one line per problem, then a summary line."""
    lines = [p.format() for p in sort_problems(problems)]
    errors = sum(p.severity is Severity.error for p in problems)
    warnings = len(problems) - errors
    summary = f"{n_files} file(s) checked: {errors} error(s), {warnings} warning(s)"
    lines.append(summary)
    return "\n".join(lines)


def render_json(problems: list[Problem], n_files: int) -> str:
    """JSON report with every problem and the counts."""
    errors = sum(p.severity is Severity.error for p in problems)
    return json.dumps(
        {
            "files": n_files,
            "errors": errors,
            "warnings": len(problems) - errors,
            "problems": [p.to_dict() for p in sort_problems(problems)],
        },
        indent=2,
    )
