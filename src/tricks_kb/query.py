"""Reading a query: cleaning, the English lexicon, spelling correction and trick names inside a query."""

from __future__ import annotations

import re
import threading
import unicodedata

from .keywords import MAX_QUERY_TOKENS, identifier_parts, stem_words
from .passages import Passage
from .schema import Trick

MAX_QUERY_CHARS = 512
MAX_PASTE_CHARS = 4096  # a pasted issue (title, paragraph, log lines) is read this far; see ``chunks``
CHUNK_CHARS = 400  # text past the first MAX_QUERY_CHARS is embedded in pieces this long (the model reads ~256 tokens)
MAX_CHUNKS = 8

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
# "X vs Y", "X versus Y", "X compared to Y", "X or Y?" (the last only when both sides are names)
_VERSUS = re.compile(r"\s+(?:vs\.?|versus|v\.|compared (?:to|with))\s+", re.IGNORECASE)
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)
_LEADING = re.compile(r"^(?:should i use|which is better|what is better|is|use|try|compare)[:,]?\s+", re.IGNORECASE)
# A line of a pasted issue that a program wrote rather than a person: paths, file names, tracebacks,
# key=value, tables and progress bars, log levels, shell or REPL prompts, brackets, "key: value" lines.
_MACHINE = re.compile(r"""(?:[\w.~-]*/){2,}|(?:^|\s)\.{0,2}/\w|\\\w+\\|\.(?:py|ya?ml|json|cfg|sh|txt|log|ckpt|pt|bin)\b"""
                      r"""|File "|\w=\S|\||\bTraceback\b|^(?:INFO|WARN(?:ING)?|ERROR|DEBUG|CRITICAL)\b|^at\s|^[>$#+]"""
                      r"""|[{}\[\]]|^\w[\w.-]*:\s*\S*$""")
_PROSE_WORD = re.compile(r"^[A-Za-z`(\"'][A-Za-z0-9_'`/-]*[.,!?:;)\"'`]*$")
_LEXICON: dict[str, int] | None = None
_LEXICON_LOCK = threading.Lock()


def clean_query(query: object, limit: int = MAX_QUERY_CHARS) -> str:
    """Printable, single-spaced text, clipped at a word boundary to ``limit`` characters."""
    if not isinstance(query, str):
        query = "" if query is None else str(query)
    query = query[: max(limit, MAX_QUERY_CHARS) * 8]
    out = []
    for ch in query:
        cat = unicodedata.category(ch)
        out.append(" " if cat[0] in "CZ" else ch)
    text = " ".join("".join(out).split())
    if len(text) > limit:
        cut = text[:limit]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return text


def chunks(text: str, head: str) -> list[str]:
    """Pieces of a long pasted ``text`` beyond its first ``head`` (the clipped query), each about CHUNK_CHARS
    long and cut at spaces, at most MAX_CHUNKS: the dense side embeds each and keeps a passage's best score,
    so a log line or paragraph past the model's limit still counts."""
    rest = text[len(head):].strip()
    out = []
    while rest and len(out) < MAX_CHUNKS:
        cut = rest[:CHUNK_CHARS]
        if len(rest) > CHUNK_CHARS and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        out.append(cut)
        rest = rest[len(cut):].strip()
    return out


def _machine_line(raw: str) -> bool:
    line = raw.strip()
    if raw[:1].isspace() or _MACHINE.search(line):
        return True
    chars = [c for c in line if not c.isspace()]
    return sum(c.isdigit() for c in chars) > 0.15 * len(chars)


def prose_of(query: str) -> str | None:
    """The lines of a pasted multi-line question that a person wrote: its first line (the title) unless a
    program wrote it, and every line of 3+ words, mostly words, that no program wrote (see ``_MACHINE``;
    many digits count as machine-made too). None for a one-line query, or when all lines or none are prose.
    Search ranks by these lines first and lets the rest (logs, tracebacks, configs) count less."""
    lines = [ln for ln in query[:MAX_PASTE_CHARS].splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    prose = [ln.strip() for i, ln in enumerate(lines)
             if not _machine_line(ln) and (i == 0 or (len(ln.split()) >= 3 and sum(
                 1 for w in ln.split() if _PROSE_WORD.match(w)) >= 0.5 * len(ln.split())))]
    return " ".join(prose) if prose and len(prose) < len(lines) else None


def english_lexicon() -> dict[str, int]:
    """English words with their frequencies (pyspellchecker's list; loaded once, ~0.1 s; {} if missing).

    Used only to tell real words from typos: its list leaves out common misspellings ("recieve", "lenght").
    """
    global _LEXICON
    with _LEXICON_LOCK:
        if _LEXICON is None:
            try:
                from spellchecker import SpellChecker

                _LEXICON = dict(SpellChecker(distance=1).word_frequency.dictionary)
            except Exception:  # noqa: BLE001 - missing package or damaged data: correct without it
                _LEXICON = {}
        return _LEXICON


def norm_name(text: str) -> str:
    """A name, alias or query compared ignoring case, hyphens and punctuation."""
    return " ".join(_WORDS.findall(text.casefold().replace("-", " ")))


class QueryReader:
    """The catalog's vocabulary and names, for correcting a query and spotting names in it."""

    def __init__(self, tricks: dict[str, Trick], passages: list[Passage]) -> None:
        self.exact: dict[str, str] = {}  # normalized name, alias or id -> trick id
        for tid in sorted(tricks):
            t = tricks[tid]
            for label in (t.name, *t.aliases, tid):
                self.exact.setdefault(norm_name(label), tid)
        self.name_vocab = sorted({w for label in self.exact for w in label.split() if len(w) >= 3 and not w.isdigit()}
                                 | {w for t in tricks.values() for tag in t.tags for w in tag.split("-")
                                    if len(w) >= 3})
        self.text_vocab = sorted({w for p in passages for w in _WORDS.findall(p.text.casefold())
                                  if len(w) >= 3 and not w.isdigit()})
        self._known = set(self.text_vocab) | set(self.name_vocab)
        self._known_stems = set(stem_words(sorted(self._known)))

    def is_known(self, word: str) -> bool:
        """A catalog word, another form of one ("explodes" for "exploding"), an English word, a number, or
        too short to judge: not a typo."""
        return (len(word) < 4 or word.isdigit() or word in self._known
                or stem_words([word])[0] in self._known_stems or word in english_lexicon())

    def has_known_word(self, text: str) -> bool:
        """Some word of ``text`` is English or the catalog's (any form), or a number: not pure gibberish."""
        words = [p.casefold() for w in text.split() for p in (identifier_parts(w) or _WORDS.findall(w))]
        return any(w.isdigit() or (len(w) >= 2 and (w in self._known or w in english_lexicon()
                                                     or stem_words([w])[0] in self._known_stems))
                   for w in words)

    def correct(self, text: str) -> str:
        """Replace misspelt query words with the closest catalog word (rapidfuzz).

        Only words that are neither English nor known to the catalog in any form are candidates, and a
        replacement must look like a typo of them (similar, and at most two letters longer or shorter):
        "lable" becomes "label", "warmpu" "warmup", but "seek", "explodes", "fine-tuning" or
        "interpolate" stay as they are.
        """
        words = text.split()
        changed = False
        out = []
        for w in words:
            if len(out) >= MAX_QUERY_TOKENS:
                out.append(w)
                continue
            # identifiers are judged part by part: "lrScheduler", "warmpu_ratio" -> "warmup ratio"
            parts = [p.casefold() for p in (identifier_parts(w) or _WORDS.findall(w))]
            core = "".join(parts)
            if self.is_known(core) or all(self.is_known(p) for p in parts):
                out.append(w)
                continue
            if len(parts) > 1:
                fixed = [p if self.is_known(p) else (self._closest(p) or p) for p in parts]
                if fixed != parts:
                    out.append(" ".join(fixed))
                    changed = True
                else:
                    out.append(w)
                continue
            best = self._closest(core)
            if best is not None and best != core:
                out.append(best)
                changed = True
            else:
                out.append(w)
        return " ".join(out) if changed else text

    def _closest(self, word: str) -> str | None:
        """The catalog word that ``word`` looks like a typo of (names and tags first), else None."""
        from rapidfuzz import fuzz, process

        for vocab, cutoff in ((self.name_vocab, 80), (self.text_vocab, 85)):
            for cand, _, _ in process.extract(word, vocab, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5):
                if abs(len(cand) - len(word)) <= 2:
                    return cand
        return None

    def named(self, text: str) -> str | None:
        """The trick whose whole name, alias or id the query is."""
        return self.exact.get(norm_name(text))

    def side(self, text: str) -> str | None:
        """The trick one side of a comparison names: the whole side, else its longest name inside."""
        text = _LEADING.sub("", text.strip(" ?!.,:;")).strip()
        tid = self.named(text)
        if tid:
            return tid
        words = norm_name(text).split()
        for n in range(min(6, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                label = " ".join(words[i:i + n])
                if len(label) >= 3 and label in self.exact:
                    return self.exact[label]
        return None

    def comparison(self, text: str) -> tuple[str, str, bool] | None:
        """The two sides of "X vs Y" / "X versus Y" / "X compared to Y" (third item True) or of a short
        "X or Y?" (False: only names count there, "or" is common in questions), else None."""
        parts = _VERSUS.split(text, maxsplit=1)
        if len(parts) == 2:
            return parts[0], parts[1], True
        if text.rstrip().endswith("?") or len(text.split()) <= 6:
            parts = _OR.split(text, maxsplit=1)
            if len(parts) == 2:
                return parts[0], parts[1], False
        return None

    def mentioned(self, *queries: str) -> set[str]:
        """Tricks named in a longer query ("lion vs adamw"): whole names or aliases of 3+ characters."""
        found: set[str] = set()
        for q in queries:
            words = norm_name(q).split()
            if len(words) < 2:
                continue
            padded = " " + " ".join(words) + " "
            for n in range(1, min(6, len(words)) + 1):
                for i in range(len(words) - n + 1):
                    label = " ".join(words[i:i + n])
                    tid = self.exact.get(label)
                    if tid and len(label) >= 3 and label != " ".join(words) and f" {label} " in padded:
                        found.add(tid)
        return found
