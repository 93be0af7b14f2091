"""What a pickle would import, read from its opcodes without loading it.

A pickle is a program for a small stack machine; loading it runs that
program, and every callable it calls arrives through an import opcode
(``GLOBAL``, ``STACK_GLOBAL``, ``INST``) or the extension registry
(``EXT1/2/4``). So the imports are what decide whether loading is safe:
a pickle that imports only tensor-rebuilding functions rebuilds tensors,
one that imports ``os.system`` runs commands.

The walk here uses :func:`pickletools.genops`, which decodes opcodes and
never executes them, and keeps a model of the stack and the memo so that a
``STACK_GLOBAL`` whose module and name come from strings put in the memo
earlier (or mixed ``PUT`` and ``MEMOIZE``, a published picklescan bypass)
resolves to the names a real unpickler would see. An import is rated:

- **dangerous** (critical): a module or callable that runs commands,
  evaluates code, reaches attributes by name, opens files or the network,
  or loads another pickle; and any dotted name that walks into ``os``,
  ``__builtins__``, ``__globals__``;
- **known** (fine): the functions PyTorch, NumPy and the standard library use
  to rebuild tensors, arrays and containers;
- **unknown** (medium): anything else. Blocklists are always incomplete
  (every scanner's tracker lists new callables), so an import that is not
  on the allow-list is reported, never passed silently.

Reads are bounded: at most :data:`MAX_PICKLE_BYTES` of a stream are read,
once, and the walk runs over that buffer, so a ``BINBYTES8`` that claims an
exabyte allocates nothing; a stream longer than the budget is reported as
too large to verify.
"""

from __future__ import annotations

import functools
import io
import pickletools
import struct
from dataclasses import field

from aiart_release.records import dataclass

MAX_PICKLE_BYTES = 64 * 1024 * 1024  # the opcode stream of one file, all pickles
FIRST_READ = 1024 * 1024
MAX_OPCODES = 20_000_000
MAX_PICKLES_PER_STREAM = 16  # torch's legacy format writes 5 pickles in a row
LEGACY_TORCH_PICKLES = 5
# PROTO 2, then LONG1 of 10 bytes: torch.serialization's MAGIC_NUMBER
# 0x1950a86a20f9469cfc6c, the first pickle of every legacy torch.save file.
_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

# The functions PyTorch, NumPy and the standard library call to rebuild what
# torch.save / numpy / pickle wrote: tensors, storages, arrays, containers.
KNOWN_GLOBALS = frozenset({
    ("collections", "OrderedDict"), ("collections", "defaultdict"),
    ("collections", "Counter"), ("collections", "deque"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("builtins", "complex"), ("builtins", "bytearray"), ("builtins", "object"),
    ("builtins", "list"), ("builtins", "dict"), ("builtins", "tuple"),
    ("builtins", "int"), ("builtins", "float"), ("builtins", "bool"), ("builtins", "str"),
    ("builtins", "bytes"), ("builtins", "range"),
    ("__builtin__", "set"), ("__builtin__", "frozenset"), ("__builtin__", "object"),
    ("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor"),
    ("_codecs", "encode"),
    ("argparse", "Namespace"),
    ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"), ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._utils", "_rebuild_sparse_tensor"), ("torch._utils", "_rebuild_qtensor"),
    ("torch._utils", "_rebuild_device_tensor_from_numpy"),
    ("torch._utils", "_rebuild_meta_tensor_no_storage"),
    ("torch._utils", "_rebuild_wrapper_subclass"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch.nn.parameter", "Parameter"),
    ("torch", "Size"), ("torch", "device"), ("torch", "dtype"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
})
_TORCH_STORAGES = frozenset(f"{kind}Storage" for kind in (
    "Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
    "ComplexFloat", "ComplexDouble", "QUInt8", "QInt8", "QInt32", "QUInt4x2", "QUInt2x4",
    "Untyped"))
_TORCH_DTYPES = frozenset({
    "float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
    "bool", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2", "float", "double",
    "half", "long", "int", "short", "strided", "sparse_coo", "contiguous_format",
    "channels_last", "preserve_format",
})

# Whole modules whose import in a pickle is an attack: commands, code,
# attribute access by name, files, the network, other pickles, debuggers
# and profilers that run a string, package installers (the advisories of
# picklescan, fickling and modelscan list each of these as a bypass once).
DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "sys", "shutil", "socket",
    "pty", "runpy", "importlib", "marshal", "pickle", "_pickle", "dill", "cloudpickle",
    "joblib", "code", "codeop", "commands", "ctypes", "webbrowser", "asyncio",
    "multiprocessing", "pdb", "bdb", "profile", "cProfile", "timeit", "trace", "doctest",
    "pip", "ensurepip", "venv", "setuptools", "distutils", "pkgutil", "operator",
    "_operator", "functools", "types", "requests", "urllib", "urllib2", "http", "httplib",
    "aiohttp", "ssl", "ftplib", "smtplib", "telnetlib", "imaplib", "nntplib", "poplib",
    "mailcap", "idlelib", "lib2to3", "io", "_io", "zipimport", "site", "signal",
    "_interpreters", "_xxsubinterpreters", "xmlrpc", "tempfile", "glob", "pathlib",
    "platform", "linecache", "sqlite3", "shelve", "dbm", "tarfile", "zipfile", "uuid",
    "gc", "inspect", "builtins", "__builtin__", "torch.hub", "torch.utils.collect_env",
    "torch._dynamo", "torch.fx", "torch.jit", "torch.package", "torch.serialization",
    "torch.storage", "numpy.f2py", "numpy.testing", "numpy.distutils", "mlflow",
    "pandas.io", "keras", "tensorflow",
})
# Callables dangerous in any module, and attribute names that walk into one.
DANGEROUS_NAMES = frozenset({
    "system", "popen", "popen2", "spawn", "spawnl", "spawnv", "spawnve", "spawnlp",
    "execv", "execve", "execl", "execlp", "execvp", "eval", "exec", "execfile", "compile",
    "open", "getattr", "setattr", "delattr", "__import__", "globals", "locals", "vars",
    "input", "breakpoint", "apply", "run", "call", "check_call", "check_output", "Popen",
    "load", "loads", "import_module", "resolve_name", "attrgetter", "methodcaller",
    "itemgetter", "partial", "reduce", "__builtins__", "__globals__", "__subclasses__",
    "__getattribute__", "__reduce__", "__reduce_ex__", "__code__", "__dict__", "os", "sys",
    "subprocess", "builtins",
})


@dataclass(frozen=True)
class Import:
    """One import a pickle makes: ``module`` and ``name`` as the unpickler
    would pass them to ``find_class``; ``None`` for a part that could not be
    resolved statically (which a genuine pickle never needs)."""

    module: str | None
    name: str | None
    opcode: str

    @property
    def dotted(self) -> str:
        return f"{self.module or '?'}.{self.name or '?'}"


@dataclass
class PickleScan:
    """What a walk over one stream found."""

    imports: list[Import] = field(default_factory=list)
    # Why the stream could not be read to its end (a bad opcode, a stack
    # the unpickler would refuse), or None.
    error: str | None = None
    pickles: int = 0
    too_large: bool = False

    def rated(self) -> tuple[list[Import], list[Import]]:
        """The dangerous and the unknown imports, each once, in order."""
        dangerous, unknown, seen = [], [], set()
        for item in self.imports:
            if item in seen:
                continue
            seen.add(item)
            verdict = rate(item)
            if verdict == "dangerous":
                dangerous.append(item)
            elif verdict == "unknown":
                unknown.append(item)
        return dangerous, unknown


def rate(item: Import) -> str:
    """``"dangerous"``, ``"known"`` or ``"unknown"`` for one import."""
    if item.module is None or item.name is None:
        # A STACK_GLOBAL fed by values computed at load time: nothing a
        # serializer writes, only something built to hide a name.
        return "dangerous"
    if item.opcode.startswith("EXT"):
        return "unknown"
    module, name = item.module, item.name
    if (module, name) in KNOWN_GLOBALS:
        return "known"
    parts = module.split(".")
    name_parts = name.split(".")
    if any(".".join(parts[:i]) in DANGEROUS_MODULES for i in range(1, len(parts) + 1)):
        return "dangerous"
    if any(part in DANGEROUS_NAMES or part.startswith("__") for part in name_parts):
        return "dangerous"
    if _on_picklescan_blocklist(module, name):
        return "dangerous"
    if module == "torch" and (name in _TORCH_STORAGES or name in _TORCH_DTYPES):
        return "known"
    if module == "numpy.dtypes" and name.endswith("DType") and len(name_parts) == 1:
        return "known"
    return "unknown"


@functools.cache
def _picklescan_blocklist() -> dict:
    """picklescan's blocklist (module -> names, or "*"), which its
    maintainers extend with each published advisory; empty when picklescan
    is not installed or its table changed shape. Our own lists above stand
    alone: this only adds to them."""
    try:
        from picklescan import scanner
    except ImportError:
        return {}
    table = getattr(scanner, "_unsafe_globals", None)
    return table if isinstance(table, dict) else {}


def _on_picklescan_blocklist(module: str, name: str) -> bool:
    listed = _picklescan_blocklist().get(module)
    if listed == "*":
        return True
    return isinstance(listed, (set, frozenset, list, tuple)) and (
        name in listed or name.split(".")[0] in listed)


class PickleTooLarge(Exception):
    """The stream passed :data:`MAX_PICKLE_BYTES` or :data:`MAX_OPCODES`."""


_UNKNOWN = object()
_STRING_OPS = frozenset({"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE",
                         "SHORT_BINUNICODE", "BINUNICODE8"})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})


def _effect(opcode) -> tuple[int, bool, int, bool]:
    """How an opcode moves the stack: items popped below a mark (or in all),
    whether it pops to a mark, items pushed, whether it pushes a mark."""
    before, after = opcode.stack_before, opcode.stack_after
    pops_mark = pickletools.markobject in before
    popped = before.index(pickletools.markobject) if pops_mark else len(before)
    pushes_mark = pickletools.markobject in after
    return popped, pops_mark, len(after) - pushes_mark, pushes_mark


_EFFECTS = {op.name: _effect(op) for op in pickletools.opcodes}


class _Machine:
    """The unpickler's stack, mark stack and memo, as CPython keeps them
    (a mark saves the current stack and starts an empty one), holding only
    what can name an import (strings); everything else is ``_UNKNOWN``.
    Whatever the real unpickler would refuse (popping past a mark, reading
    a memo key never written) stops the walk as a bad stream."""

    def __init__(self):
        self.stack: list = []
        self.marks: list[list] = []
        self.memo: dict = {}
        self.imports: list[Import] = []

    def step(self, opcode, arg) -> None:
        name = opcode.name
        stack = self.stack
        if name == "MEMOIZE":
            self._need(1)
            self.memo[len(self.memo)] = stack[-1]
            return
        if name in _PUT_OPS:
            self._need(1)
            self.memo[arg] = stack[-1]
            return
        if name in _GET_OPS:
            if arg not in self.memo:
                raise ValueError(f"memo key {arg} read before it was written")
            stack.append(self.memo[arg])
            return
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            self.imports.append(Import(module, attr, name))
        elif name == "STACK_GLOBAL":
            self._need(2)
            attr, module = stack[-1], stack[-2]
            self.imports.append(Import(module if isinstance(module, str) else None,
                                       attr if isinstance(attr, str) else None, name))
        elif name.startswith("EXT"):
            self.imports.append(Import("copyreg", f"extension code {arg}", name))
        elif name == "DUP":
            self._need(1)
            stack.append(stack[-1])
            return
        popped, pops_mark, pushed, pushes_mark = _EFFECTS[name]
        if pops_mark:
            if not self.marks:
                raise ValueError("an opcode needs a mark that was never set")
            stack = self.stack = self.marks.pop()
        if popped:
            self._need(popped)
            del stack[-popped:]
        if pushes_mark:
            self.marks.append(stack)
            self.stack = []
        elif pushed:
            stack.append(arg if name in _STRING_OPS and isinstance(arg, str) else _UNKNOWN)
            stack.extend([_UNKNOWN] * (pushed - 1))

    def _need(self, count: int) -> None:
        if len(self.stack) < count:
            raise ValueError("the stack is shorter than the opcode needs")


def scan_stream(stream, limit: int = MAX_PICKLE_BYTES, first: bytes = b"") -> PickleScan:
    """Walk the pickles at the start of ``stream`` (one, or the several in a
    row that torch's legacy format writes), at most ``limit`` bytes of it.
    ``first`` holds bytes already read from the stream's start.

    The stream is read into memory, 1 MiB first and 16 times more each
    time the walk runs out of bytes, up to ``limit + 1`` bytes; the walk
    runs over the buffer: a length field that claims an exabyte reads what
    is there (``BytesIO`` never allocates what it is asked for), and the
    opcode reads cost no Python call per byte. A checkpoint's pickle is
    small (its tensors lie beside it), so most files cost one read."""
    buffer = io.BytesIO()
    buffer.write(first)
    size = FIRST_READ
    while True:
        size = min(size, limit)
        buffer.seek(0, io.SEEK_END)
        buffer.write(stream.read(max(size - buffer.tell(), 0)))
        length = buffer.tell()
        # One byte more says whether the stream goes on past the buffer.
        more = stream.read(1) if length >= size else b""
        buffer.seek(0)
        result = scan_buffer(buffer, length, cut=bool(more))
        if not (result.too_large and more and size < limit):
            return result
        buffer.seek(0, io.SEEK_END)
        buffer.write(more)
        size *= 16


def scan_buffer(buffer: io.BytesIO, length: int, cut: bool = False) -> PickleScan:
    """The walk over the ``length`` bytes of ``buffer``, from its start;
    ``cut`` says that the stream went on past them (so running out of
    bytes means "too large", not "truncated")."""
    result = PickleScan()
    opcodes = 0
    start = buffer.tell()
    # torch's legacy format: its magic number, then exactly five pickles
    # (magic, protocol, sys_info, the object, the storage keys) and the raw
    # storages, whose 8-byte element count may begin with 0x80 (128
    # elements) and must not be walked as a sixth pickle.
    legacy = buffer.read(len(_LEGACY_TORCH_MAGIC)) == _LEGACY_TORCH_MAGIC
    buffer.seek(start)
    most = LEGACY_TORCH_PICKLES if legacy else MAX_PICKLES_PER_STREAM
    try:
        while result.pickles < most:
            position = buffer.tell()
            head = buffer.read(1)
            buffer.seek(position)
            if not head or (result.pickles and head != b"\x80"):
                break
            machine = _Machine()
            try:
                for opcode, arg, _pos in pickletools.genops(buffer):
                    opcodes += 1
                    if opcodes > MAX_OPCODES:
                        raise PickleTooLarge
                    machine.step(opcode, arg)
            finally:
                result.imports.extend(machine.imports)
            result.pickles += 1
    except PickleTooLarge:
        result.too_large = True
    except (ValueError, EOFError, UnicodeDecodeError, OverflowError, MemoryError,
            struct.error) as exc:
        if cut and buffer.tell() >= length - 1:
            result.too_large = True
        else:
            result.error = _describe(exc)
    return result


def scan_bytes(data: bytes) -> PickleScan:
    """:func:`scan_buffer` over bytes in memory."""
    return scan_buffer(io.BytesIO(data), len(data))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    # pickletools quotes the bytes it could not decode: keep the reason only.
    return text.split(":", 1)[0][:120] if "repr" in text else text[:160]


class Prefixed:
    """``prefix`` followed by ``stream``, for the bytes already peeked."""

    def __init__(self, prefix: bytes, stream):
        self._prefix = prefix
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._stream.read(size)
        if size is None or size < 0:
            data, self._prefix = self._prefix + self._stream.read(size), b""
            return data
        head, self._prefix = self._prefix[:size], self._prefix[size:]
        return head + (self._stream.read(size - len(head)) if size > len(head) else b"")
