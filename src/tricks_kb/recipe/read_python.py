"""Python config reader: plain assignments read with ``ast``, literals and simple names only; never executed."""

from __future__ import annotations

import ast
from typing import Any

from .readers import Item, Parsed, ReadError

# --- Python configs (ast, never executed) -------------------------------------------------------

_EXPR = object()


class _PyReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = Parsed("python")

    def seg(self, node: ast.AST) -> str:
        s = ast.get_source_segment(self.text, node) or ""
        s = " ".join(s.split()) if "\n" in s else s
        return s if len(s) <= 300 else s[:297] + "..."

    def value(self, node: ast.AST, path: str) -> Any:
        """The literal value of ``node`` (emitting items for nested keyword/dict children), or the text."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return self.seg(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = self.value(node.operand, path)
            if isinstance(v, int | float) and not isinstance(v, bool):
                return -v if isinstance(node.op, ast.USub) else v
            return self.seg(node)
        if isinstance(node, ast.BinOp):
            return _fold(node) if _fold(node) is not None else self.seg(node)
        if isinstance(node, ast.List | ast.Tuple):
            vals = []
            for i, elt in enumerate(node.elts):
                sub = f"{path}.{i}"
                if isinstance(elt, ast.Call | ast.Dict):
                    vals.append(self.emit(elt, sub))
                else:
                    vals.append(self.value(elt, sub))
            return vals
        if isinstance(node, ast.Dict):
            d: dict[str, Any] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    d[k.value] = self.emit(v, f"{path}.{k.value}", k)
            return d
        if isinstance(node, ast.Call):
            d = {}
            for kw in node.keywords:
                if kw.arg:
                    d[kw.arg] = self.emit(kw.value, f"{path}.{kw.arg}", kw)
            callee = self.seg(node.func)
            if callee != "dict":
                self.out.items.append(Item(f"{path}._call_", callee, callee, node.lineno, node.col_offset + 1))
                d["_call_"] = callee
            return d
        return _EXPR

    def emit(self, node: ast.AST, path: str, key_node: ast.AST | None = None) -> Any:
        v = self.value(node, path)
        if v is _EXPR:
            v = self.seg(node)
            self.out.notes.append(f"line {node.lineno}: {path} is an expression, read as text")
        where = key_node if key_node is not None and hasattr(key_node, "lineno") else node
        raw = self.seg(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            raw = node.value
        self.out.items.append(Item(path, v, raw, where.lineno, where.col_offset + 1))
        return v

    def target(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.target(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            base = self.target(node.value)
            return f"{base}.{node.slice.value}" if base else None
        return None

    def run(self) -> Parsed:
        try:
            tree = ast.parse(self.text)
        except SyntaxError as exc:
            raise ReadError("RC003", f"invalid Python: {exc.msg}", "a Python config must parse; it is never run",
                            exc.lineno or 1, exc.offset or 1) from None
        for stmt in tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self.out.notes.append(f"line {stmt.lineno}: import ignored (the config is never executed)")
                continue
            if isinstance(stmt, ast.ClassDef):
                if _is_config_class(stmt):
                    self.config_class(stmt)
                continue
            self.assignment(stmt)
        self.out.items.sort(key=lambda it: (it.line, it.col))
        return self.out

    def assignment(self, stmt: ast.stmt, strip: str | None = None) -> None:
        """``x = ...`` / ``x: T = ...`` as key ``x``; with ``strip`` ("self"), ``self.x = ...`` as ``x``."""
        pairs = ([(t, stmt.value) for t in stmt.targets] if isinstance(stmt, ast.Assign)
                 else [(stmt.target, stmt.value)] if isinstance(stmt, ast.AnnAssign) and stmt.value is not None
                 else [])
        for node, value in pairs:
            name = self.target(node) or ""
            if strip:
                name = name[len(strip) + 1:] if name.startswith(strip + ".") else ""
            if name:
                self.emit(value, name, node)

    def config_class(self, cls: ast.ClassDef) -> None:
        """A config class: its class-level fields (dataclass defaults) and the ``self.x = ...`` of its
        ``__init__`` (YOLOX-style experiment classes), as plain keys."""
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
                for inner in stmt.body:
                    self.assignment(inner, strip="self")
            else:
                self.assignment(stmt)


_CONFIG_NAME = ("config", "configs", "cfg", "args", "arguments", "exp", "params", "hparams", "hyperparameters",
                "settings", "options")


def _is_config_class(cls: ast.ClassDef) -> bool:
    """A dataclass, or a class whose name or a base's ends like a config ("TrainConfig", "Exp(MyExp)"); a model
    (``nn.Module``) or any other class is code, not settings."""
    def last(node: ast.AST) -> str:
        node = node.func if isinstance(node, ast.Call) else node
        return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""

    if any(last(d) == "dataclass" for d in cls.decorator_list):
        return True
    names = [cls.name, *(last(b) for b in cls.bases)]
    return any(n.casefold().endswith(_CONFIG_NAME) for n in names if n)


def _fold(node: ast.AST) -> float | int | None:
    """Simple arithmetic over numeric literals (``5 * 8``, ``2**7``), computed here without eval."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _fold(node.operand)
        return -v if v is not None else None
    if isinstance(node, ast.BinOp):
        a, b = _fold(node.left), _fold(node.right)
        if a is None or b is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
            if isinstance(node.op, ast.FloorDiv):
                return a // b
            if isinstance(node.op, ast.Pow) and abs(b) <= 64 and abs(a) <= 1e6:
                return a**b
        except (ZeroDivisionError, OverflowError):
            return None
    return None


def read_python(text: str, filename: str) -> Parsed:
    return _PyReader(text).run()
