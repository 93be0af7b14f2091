"""Calls in Python code that unpickle what they load, found with ``ast``.

The code is parsed, never imported or run. Names are resolved through the
file's own imports (``import torch as T``, ``from pickle import load as
pl``, ``import numpy as np``), so ``T.load(path)`` is ``torch.load``.

A load that reads back what the same code writes is its own cache, not a
file from elsewhere: gallery-dl's ``pickle.loads`` of a cache row that the
same function stored with ``pickle.dumps``, or ``torch.load(CACHE)`` beside
``torch.save(x, CACHE)``. Such a call is still listed, at low severity, and
says so. "The same file" is decided conservatively, from the code alone:

* ``loads``/``Unpickler`` on bytes: the same function also ``dumps`` (a
  round trip through its own store: a database row, a socket);
* a load from a path or an open file: a writer (``pickle.dump``,
  ``torch.save``, ``joblib.dump``, ``numpy.save``, ``.to_pickle``) names the
  same path expression, in the same function, or anywhere in the module when
  the expression uses no parameter (a constant, a global, ``self.cache``).
  Two functions that each take a ``filename`` are not reading each other's
  file (mmcv's ``load_checkpoint``/``save_checkpoint``), and a script that
  loads ``input_path`` and saves ``output_path`` converts someone else's
  checkpoint (ControlNet's ``tool_add_control.py``).
"""

from __future__ import annotations

import ast
from dataclasses import field

from aiart_release.findings import Severity
from aiart_release.records import dataclass

MAX_SOURCE_BYTES = 4 * 1024 * 1024

# Always unpickle what they are given.
_UNPICKLERS = {
    "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
    "cPickle.load", "cPickle.loads", "dill.load", "dill.loads", "cloudpickle.load",
    "cloudpickle.loads", "joblib.load", "pandas.read_pickle", "torch.hub.load",
    "sklearn.externals.joblib.load", "yaml.unsafe_load",
}
_SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


# Loads whose argument is bytes in memory, and the writers that make them.
_BYTES_LOADERS = {
    "pickle.loads", "_pickle.loads", "cPickle.loads", "dill.loads", "cloudpickle.loads",
    "pickle.Unpickler", "_pickle.Unpickler",
}
_BYTES_WRITERS = {
    "pickle.dumps", "_pickle.dumps", "cPickle.dumps", "dill.dumps", "cloudpickle.dumps",
    "pickle.Pickler", "_pickle.Pickler",
}
# Writers of files, and which argument names the file.
_FILE_WRITERS = {
    "pickle.dump": 1, "_pickle.dump": 1, "cPickle.dump": 1, "dill.dump": 1,
    "cloudpickle.dump": 1, "joblib.dump": 1, "torch.save": 1, "numpy.save": 0,
    "numpy.savez": 0, "numpy.savez_compressed": 0,
}
_FILE_KEYWORDS = ("f", "file", "filename", "path")
_OWN_STATE = frozenset({"self", "cls"})
_OWN_FIX = ("Nothing to do while only this code writes that file: keep it where other "
            "users cannot replace it (not a shared temporary folder)")


@dataclass(frozen=True)
class UnsafeCall:
    line: int
    call: str   # the qualified name, torch.load
    why: str
    own_line: int | None = None  # the line that writes what it reads back

    @property
    def reads_own_file(self) -> bool:
        return self.own_line is not None


@dataclass(frozen=True)
class Group:
    """The calls of one file that make one finding."""

    call: str
    lines: tuple[int, ...]
    why: str
    severity: Severity
    remediation: str | None  # None: the check's fix for this library


def unsafe_calls(source: str) -> list[UnsafeCall]:
    """Every call in ``source`` that would unpickle or construct arbitrary
    objects from what it loads; a call that reads back what the same code
    writes has ``own_line`` set and says so. Raises SyntaxError,
    ValueError, RecursionError or MemoryError for code ``ast`` cannot parse."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    calls: list[tuple[ast.Call, str, _Scope]] = []
    for node, scope in _calls_with_scope(tree):
        name = _qualified(node.func, aliases)
        if name is not None or (isinstance(node.func, ast.Attribute)
                                and node.func.attr == "to_pickle"):
            calls.append((node, name or "pandas.to_pickle", scope))
    writers = _Writers()
    for node, name, scope in calls:
        if name in _BYTES_WRITERS or name in _FILE_WRITERS or name == "pandas.to_pickle":
            writers.add(node, name, scope, _written_path(node, name, scope))
    found = []
    for node, name, scope in calls:
        why = _why_unsafe(name, node)
        if not why:
            continue
        own = _own_writer(node, name, scope, writers)
        if own is not None:
            why = (f"{name} reads back what this code writes itself with {own.name} "
                   f"(line {own.node.lineno}), not a file from elsewhere")
        found.append(UnsafeCall(node.lineno, name, why,
                                own.node.lineno if own is not None else None))
    return sorted(found, key=lambda c: c.line)


def groups(calls: list[UnsafeCall], in_tests: bool) -> list[Group]:
    """One group per function called and per kind of file it reads (its
    own, or any), with the severity: medium, low in tests or when the code
    reads back its own file."""
    by_key: dict[tuple[str, bool], list[UnsafeCall]] = {}
    for call in calls:
        by_key.setdefault((call.call, call.reads_own_file), []).append(call)
    out = []
    for (name, own), found in by_key.items():
        out.append(Group(
            call=name, lines=tuple(c.line for c in found), why=found[0].why,
            severity=Severity.LOW if (own or in_tests) else Severity.MEDIUM,
            remediation=_OWN_FIX if own else None))
    return sorted(out, key=lambda g: g.lines[0])


# --- which file a call reads or writes ------------------------------------------

@dataclass
class _Scope:
    """The innermost function around a call (None: the module body), its
    local names (parameters and every name it assigns), and the names it
    binds to ``open(PATH)``."""

    function: ast.AST | None
    local_names: frozenset[str]
    opened: dict[str, ast.expr]


@dataclass(frozen=True)
class _Writer:
    node: ast.Call
    name: str


@dataclass
class _Writers:
    """The calls that write pickles, indexed so that matching every load is
    linear in the size of the code (a file of 100,000 loads and saves)."""

    # The first bytes writer (``dumps``) of each function.
    dumps_in: dict[int, _Writer] = field(default_factory=dict)
    # The first writer of each (function, path) and of each path built from
    # no local name (a constant, a global, ``self.cache``).
    by_function_path: dict[tuple[int, str], _Writer] = field(default_factory=dict)
    by_shared_path: dict[str, _Writer] = field(default_factory=dict)

    def add(self, node: ast.Call, name: str, scope: _Scope, path: ast.expr | None) -> None:
        writer = _Writer(node, name)
        if name in _BYTES_WRITERS:
            self.dumps_in.setdefault(id(scope.function), writer)
        if path is None:
            return
        key = _key(path)
        self.by_function_path.setdefault((id(scope.function), key), writer)
        if not _from_locals(path, scope):
            self.by_shared_path.setdefault(key, writer)


def _calls_with_scope(tree: ast.AST):
    """``(call, scope)`` for every call, iteratively (no recursion limit)."""
    module = _Scope(None, frozenset(), _opened(tree))
    stack: list[tuple[ast.AST, _Scope]] = [(tree, module)]
    while stack:
        node, scope = stack.pop()
        for child in ast.iter_child_nodes(node):
            here = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                here = _Scope(child, _parameters(child.args) | _assigned(child),
                              _opened(child))
            if isinstance(child, ast.Call):
                yield child, here
            stack.append((child, here))


def _parameters(args: ast.arguments) -> frozenset[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return frozenset(a.arg for a in every)


def _own_nodes(scope: ast.AST):
    """The nodes of a function, not those of the functions and classes in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                             ast.ClassDef)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _assigned(scope: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in _own_nodes(scope)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))


def _opened(scope: ast.AST) -> dict[str, ast.expr]:
    """Names bound to ``open(PATH, ...)`` in this function (not in nested
    ones): ``with open(p, "rb") as f`` and ``f = open(p)``."""
    out: dict[str, ast.expr] = {}
    for node in _own_nodes(scope):
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            path = _open_path(node.context_expr)
            if path is not None:
                out[node.optional_vars.id] = path
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            path = _open_path(node.value)
            if path is not None:
                out[node.targets[0].id] = path
    return out


def _open_path(node: ast.expr) -> ast.expr | None:
    """PATH of ``open(PATH, ...)``, ``gzip.open(PATH)``, ``Path(PATH).open()``."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "open" and node.args:
        return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "open":
        if node.args and not isinstance(func.value, ast.Call):
            return node.args[0]  # gzip.open(PATH), bz2.open(PATH)
        if isinstance(func.value, ast.Call) and func.value.args:
            return func.value.args[0]  # Path(PATH).open()
        return func.value  # self.cache_path.open()
    return None


def _argument(node: ast.Call, position: int) -> ast.expr | None:
    if len(node.args) > position and not isinstance(node.args[position], ast.Starred):
        return node.args[position]
    return next((k.value for k in node.keywords if k.arg in _FILE_KEYWORDS), None)


def _path_of(expr: ast.expr | None, scope: _Scope) -> ast.expr | None:
    """The path an argument stands for, through ``open()`` and the names
    bound to it; None when there is no argument."""
    if expr is None:
        return None
    opened = _open_path(expr)
    if opened is not None:
        return opened
    if isinstance(expr, ast.Name) and expr.id in scope.opened:
        return scope.opened[expr.id]
    return expr


def _key(expr: ast.expr) -> str:
    """A path expression as comparable text."""
    return ast.dump(expr, annotate_fields=False)


def _written_path(node: ast.Call, name: str, scope: _Scope) -> ast.expr | None:
    if name == "pandas.to_pickle":
        return _path_of(_argument(node, 0), scope)
    if name in _FILE_WRITERS:
        return _path_of(_argument(node, _FILE_WRITERS[name]), scope)
    return None


def _from_locals(path: ast.expr, scope: _Scope) -> bool:
    """Whether a path is built from a parameter or a local variable of its
    function: two functions that each take a ``filename``, or each build a
    ``save_path``, do not share a file. ``self`` and ``cls`` are the
    object's own state (``self.cache_path``)."""
    return any(isinstance(n, ast.Name) and n.id in scope.local_names - _OWN_STATE
               for n in ast.walk(path))


def _own_writer(node: ast.Call, name: str, scope: _Scope,
                writers: _Writers) -> _Writer | None:
    """The call that writes what ``node`` reads, when the code shows it."""
    if name in _BYTES_LOADERS:
        return writers.dumps_in.get(id(scope.function))
    path = _path_of(_argument(node, 0), scope)
    if path is None:
        return None
    key = _key(path)
    mine = writers.by_function_path.get((id(scope.function), key))
    if mine is not None or _from_locals(path, scope):
        return mine
    return writers.by_shared_path.get(key)


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
