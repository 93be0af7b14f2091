"""Calls in Python code that unpickle what they load, found with ``ast``.

The code is parsed, never imported or run. Names are resolved through the
file's own imports (``import torch as T``, ``from pickle import load as
pl``, ``import numpy as np``), so ``T.load(path)`` is ``torch.load``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MAX_SOURCE_BYTES = 4 * 1024 * 1024

# Always unpickle what they are given.
_UNPICKLERS = {
    "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
    "cPickle.load", "cPickle.loads", "dill.load", "dill.loads", "cloudpickle.load",
    "cloudpickle.loads", "joblib.load", "pandas.read_pickle", "torch.hub.load",
    "sklearn.externals.joblib.load", "yaml.unsafe_load",
}
_SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


@dataclass(frozen=True)
class UnsafeCall:
    line: int
    call: str   # the qualified name, torch.load
    why: str


def unsafe_calls(source: str) -> list[UnsafeCall]:
    """Every call in ``source`` that would unpickle or construct arbitrary
    objects from what it loads. Raises SyntaxError, ValueError,
    RecursionError or MemoryError for code ``ast`` cannot parse."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _qualified(node.func, aliases)
            why = _why_unsafe(name, node) if name else None
            if why:
                found.append(UnsafeCall(node.lineno, name, why))
    return sorted(found, key=lambda c: c.line)


def _aliases(tree: ast.AST) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(func: ast.expr, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id not in aliases:
        return None
    parts.append(aliases[func.id])
    return ".".join(reversed(parts))


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _is_true(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is True


def _why_unsafe(name: str, node: ast.Call) -> str | None:
    if name == "torch.load":
        if _is_true(_keyword(node, "weights_only")):
            return None
        return "torch.load without weights_only=True unpickles the checkpoint"
    if name in ("numpy.load", "numpy.lib.npyio.load"):
        if _is_true(_keyword(node, "allow_pickle")):
            return "numpy.load with allow_pickle=True unpickles object arrays"
        return None
    if name == "yaml.load":
        loader = _keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
        loader_name = (loader.attr if isinstance(loader, ast.Attribute)
                       else loader.id if isinstance(loader, ast.Name) else None)
        if loader_name in _SAFE_YAML_LOADERS:
            return None
        return "yaml.load without a safe Loader can construct arbitrary objects"
    if name in _UNPICKLERS:
        return f"{name} unpickles what it is given"
    return None
