"""Command-line reader: shell scripts and README commands split into --flag value pairs, continuations joined.

A README's fenced blocks marked ``toml``, ``yaml`` or ``json`` are configs, not commands: each is read with
its own reader and counts as one more section of the file, lines kept as in the README.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from .readers import Item, Parsed, ReadError, parse_scalar

# --- command lines ---------------------------------------------------------------------------

_FLAG = re.compile(r"^--?([A-Za-z][\w.\-]*)(?:=(.*))?$", re.S)
# a Hydra override: a lower-case dotted key and its value, optionally + or ++ (never an env VAR=value)
_HYDRA = re.compile(r"^\+{0,2}([a-z_][\w\-]*(?:\.[\w\-]+)+)=(.*)$", re.S)
# an Ultralytics CLI argument (``yolo detect train epochs=100 cos_lr=True``): undotted keys, only after ``yolo``
_YOLO_ARG = re.compile(r"^([a-z_][a-z0-9_]*)=(.*)$", re.S)
_FENCE = re.compile(r"^\s*(```|~~~)")
_CONFIG_FENCE = re.compile(r"^\s*(?:```|~~~)\s*(toml|ya?ml|json)\s*$", re.I)


def _config_blocks(lines: list[str]) -> list[tuple[str, str, int]]:
    """Fenced blocks marked as a config format: (format, text, line number of the block's first line)."""
    blocks, fmt, start, inside = [], None, 0, False
    for i, ln in enumerate(lines):
        if not _FENCE.match(ln):
            continue
        if not inside:
            m = _CONFIG_FENCE.match(ln)
            fmt, start = (m.group(1).lower().replace("yml", "yaml") if m else None), i + 1
        elif fmt:
            blocks.append((fmt, "\n".join(lines[start:i]) + "\n", start + 1))
        inside = not inside
    return blocks


_ARRAY_OPEN = re.compile(r"^\s*[A-Za-z_]\w*\+?=\(\s*(?:#.*)?$")
_EXPANDS = re.compile(r"\$\{[A-Za-z_]\w*\[[@*]\]\}")
_ARRAY_CLOSE = re.compile(r"^\s*\)\s*(?:#.*)?$")


def _array_lines(lines: list[str]) -> set[int]:
    """0-based numbers of the body lines of multi-line bash arrays (``ARGS=(`` ... ``)``), not the closing ``)``."""
    out: set[int] = set()
    start = None
    for i, ln in enumerate(lines):
        if start is None and _ARRAY_OPEN.match(ln):
            start = i + 1
        elif start is not None and _ARRAY_CLOSE.match(ln):
            out.update(range(start, i))
            start = None
    return out


_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=([\"']?)([^\s\"'$`(){}\\;|&]*)\2\s*(?:#.*)?$")
_VAR = re.compile(r"^[\"']?\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))[\"']?$")


def _shell_vars(lines: list[str]) -> dict[str, str]:
    """Shell variables assigned a plain literal once in the script (``MICRO_BATCH_SIZE=1``); others unknown."""
    seen: dict[str, list[str]] = {}
    for ln in lines:
        m = _ASSIGN.match(ln)
        if m and m.group(3):
            seen.setdefault(m.group(1), []).append(m.group(3))
    return {k: v[0] for k, v in seen.items() if len(set(v)) == 1}


def _command_lines(lines: list[str], markdown: bool, in_array: set[int]) -> list[list[tuple[str, int]]]:
    """Logical commands as lists of (physical line text, line number), continuations joined.

    In a shell script the bodies of multi-line bash arrays are one command: Megatron-LM's scripts put the
    arguments of one run in ``TRAINING_ARGS=( ... )``, ``MODEL_ARGS=( ... )`` and expand them in one launch.
    """
    if markdown and any(_FENCE.match(ln) for ln in lines):
        keep = [False] * len(lines)
        inside = config = False
        for i, ln in enumerate(lines):
            if _FENCE.match(ln):
                inside = not inside
                config = inside and bool(_CONFIG_FENCE.match(ln))
                continue
            keep[i] = inside and not config
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
        if i - 1 in in_array:
            cont = i in in_array  # an array's lines run on to its last line
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


def _read_config_blocks(lines: list[str], out: Parsed, first_section: int) -> list[ReadError]:
    """Read a README's config blocks into ``out``; return the errors of those that could not be read."""
    from .read_yaml import read_json, read_toml, read_yaml

    readers = {"toml": read_toml, "yaml": read_yaml, "json": read_json}
    errors = []
    for n, (fmt, block, line) in enumerate(_config_blocks(lines)):
        try:
            parsed = readers[fmt](block, "")
        except ReadError as err:  # one broken snippet in a README does not hide the rest of it
            out.skipped.append(f"the {fmt} block at line {line} was not read: {err.message}")
            errors.append(ReadError(err.code, f"{fmt} block: {err.message}", err.hint, err.line + line - 1, err.col))
            continue
        out.items += [Item(it.key, it.value, it.raw, it.line + line - 1, it.col, first_section + n)
                      for it in parsed.items]
        out.notes += parsed.notes
    return errors


def _read_yolo(tokens: list[tuple[str, int, int]], section: int, out: Parsed, value: Callable[[str], Any]) -> None:
    """An Ultralytics command (``yolo [TASK] MODE key=value ...``): each ``key=value`` is a setting."""
    first = next(t for t in tokens if t[0].rsplit("/", 1)[-1] == "yolo")  # the caller found it
    out.script = out.script or "yolo"
    out.items.append(Item("script", "yolo", first[0], first[1], first[2], section))
    for tok, line, col in tokens:
        m = _YOLO_ARG.match(tok)
        if m:
            out.items.append(Item(m.group(1), value(m.group(2)), m.group(2), line, col, section))


def read_cli(text: str, filename: str) -> Parsed:
    markdown = filename.casefold().endswith((".md", ".mdx", ".markdown"))
    out = Parsed("cli")
    lines = text.splitlines()
    in_array = set() if markdown else _array_lines(lines)
    commands = _command_lines(lines, markdown, in_array)
    block_errors = _read_config_blocks(lines, out, len(commands)) if markdown else []
    shell_vars = {} if markdown else _shell_vars(lines)

    def value(raw: str):  # a flag value that is only "$NAME" takes NAME's literal value; raw kept as written
        m = _VAR.match(raw)
        name = m and (m.group(1) or m.group(2))
        return parse_scalar(shell_vars[name]) if name in shell_vars else parse_scalar(raw)

    array_section = None
    for section, command in enumerate(commands):
        expands = any(_EXPANDS.search(seg) for seg, _ in command)
        if command[0][1] - 1 in in_array or expands:  # a script's bash arrays and the launch expanding them: one run
            array_section = section if array_section is None else array_section
            section = array_section
        tokens: list[tuple[str, int, int]] = []
        for segment, line in command:
            if segment.lstrip().startswith("#"):
                continue
            for tok in _split(segment):
                col = segment.find(tok.split("=", 1)[0]) + 1
                # a quoted array element holding a flag and its value: "--fp8-format hybrid"
                parts = tok.split() if tok.startswith("-") and len(tok.split()) > 1 else [tok]
                tokens += [(p, line, max(col, 1)) for p in parts]
        words = [t for t, _, _ in tokens if not re.match(r"^[A-Z_][A-Z0-9_]*=", t)]  # env assignments first
        if words and words[0].rsplit("/", 1)[-1] == "yolo":
            _read_yolo(tokens, section, out, value)
            continue
        if not any(t.startswith("-") for t, _, _ in tokens):
            continue
        i = 0
        while i < len(tokens):
            tok, line, col = tokens[i]
            if out.script is None and re.search(r"\.(py|sh)$", tok) and not tok.startswith("-"):
                out.script = tok
            if re.search(r"\.(py|sh)$", tok) and not tok.startswith("-"):
                out.items.append(Item("script", tok, tok, line, col, section))
            h = _HYDRA.match(tok)
            if h:  # a Hydra override (verl: actor_rollout_ref.actor.optim.lr=1e-6)
                out.items.append(Item(h.group(1), value(h.group(2)), h.group(2), line, col, section))
                i += 1
                continue
            m = _FLAG.match(tok)
            if m and not re.fullmatch(r"-\d.*", tok):
                name = m.group(1)
                if m.group(2) is not None:
                    out.items.append(Item(name, value(m.group(2)), m.group(2), line, col, section))
                elif i + 1 < len(tokens) and not _FLAG.match(tokens[i + 1][0]) or (
                        i + 1 < len(tokens) and re.fullmatch(r"-\d[\d.eE\-+]*", tokens[i + 1][0])):
                    nxt = tokens[i + 1][0]
                    if re.search(r"\.(py|sh)$", nxt) or nxt in ("|", "&&", ";", ">", "2>&1") or "=" in nxt and not nxt.startswith(("'", '"')) \
                            and re.match(r"^[A-Z_]+=", nxt):
                        out.items.append(Item(name, True, "", line, col, section))
                    else:
                        out.items.append(Item(name, value(nxt), nxt, line, col, section))
                        i += 1
                else:
                    out.items.append(Item(name, True, "", line, col, section))
            i += 1
    out.items.sort(key=lambda it: (it.line, it.col))  # README config blocks and commands in file order
    if not out.items and block_errors:  # nothing read but a broken config block: that is what to report
        raise block_errors[0]
    if not out.items:
        raise ReadError("RC001", "no --flag value pairs found in this command line or script",
                        "pass a script or README whose training command has --flag value (or yolo key=value) "
                        "arguments")
    return out
