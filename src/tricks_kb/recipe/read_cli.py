"""Command-line reader: shell scripts and README commands split into --flag value pairs, continuations joined."""

from __future__ import annotations

import re
import shlex

from .readers import Item, Parsed, ReadError, parse_scalar

# --- command lines ---------------------------------------------------------------------------

_FLAG = re.compile(r"^--?([A-Za-z][\w.\-]*)(?:=(.*))?$", re.S)
_FENCE = re.compile(r"^\s*(```|~~~)")


def _command_lines(text: str, markdown: bool) -> list[list[tuple[str, int]]]:
    """Logical commands as lists of (physical line text, line number), continuations joined."""
    lines = text.splitlines()
    if markdown and any(_FENCE.match(ln) for ln in lines):
        keep = [False] * len(lines)
        inside = False
        for i, ln in enumerate(lines):
            if _FENCE.match(ln):
                inside = not inside
                continue
            keep[i] = inside
    else:
        keep = [True] * len(lines)
    commands: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    for i, ln in enumerate(lines, 1):
        if not keep[i - 1]:
            if current:
                commands.append(current)
                current = []
            continue
        body = ln.rstrip()
        cont = body.endswith("\\")
        if cont:
            body = body[:-1]
        if body.strip() or cont:
            current.append((body, i))
        if not cont and current:
            commands.append(current)
            current = []
    if current:
        commands.append(current)
    return commands


def _split(segment: str) -> list[str]:
    lex = shlex.shlex(segment, posix=True, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:  # an unclosed quote: fall back to whitespace
        return segment.split("#", 1)[0].split()


def read_cli(text: str, filename: str) -> Parsed:
    markdown = filename.casefold().endswith((".md", ".mdx", ".markdown"))
    out = Parsed("cli")
    for section, command in enumerate(_command_lines(text, markdown)):
        tokens: list[tuple[str, int, int]] = []
        for segment, line in command:
            if segment.lstrip().startswith("#"):
                continue
            for tok in _split(segment):
                col = segment.find(tok.split("=", 1)[0]) + 1
                tokens.append((tok, line, max(col, 1)))
        if not any(t.startswith("-") for t, _, _ in tokens):
            continue
        i = 0
        while i < len(tokens):
            tok, line, col = tokens[i]
            if out.script is None and re.search(r"\.(py|sh)$", tok) and not tok.startswith("-"):
                out.script = tok
            if re.search(r"\.(py|sh)$", tok) and not tok.startswith("-"):
                out.items.append(Item("script", tok, tok, line, col, section))
            m = _FLAG.match(tok)
            if m and not re.fullmatch(r"-\d.*", tok):
                name = m.group(1)
                if m.group(2) is not None:
                    out.items.append(Item(name, parse_scalar(m.group(2)), m.group(2), line, col, section))
                elif i + 1 < len(tokens) and not _FLAG.match(tokens[i + 1][0]) or (
                        i + 1 < len(tokens) and re.fullmatch(r"-\d[\d.eE\-+]*", tokens[i + 1][0])):
                    nxt = tokens[i + 1][0]
                    if re.search(r"\.(py|sh)$", nxt) or nxt in ("|", "&&", ";", ">", "2>&1") or "=" in nxt and not nxt.startswith(("'", '"')) \
                            and re.match(r"^[A-Z_]+=", nxt):
                        out.items.append(Item(name, True, "", line, col, section))
                    else:
                        out.items.append(Item(name, parse_scalar(nxt), nxt, line, col, section))
                        i += 1
                else:
                    out.items.append(Item(name, True, "", line, col, section))
            i += 1
    if not out.items:
        raise ReadError("RC001", "no --flag value pairs found in this command line or script",
                        "pass a script or README whose training command has --flag value arguments")
    return out
