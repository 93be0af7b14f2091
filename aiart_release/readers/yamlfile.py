"""Safe YAML loading that remembers where every value came from, and JSON
Schema validation whose messages point at ``file:line:column``.

Configuration, policy and rule files all go through here, so that every
error a user sees names the place to fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..records import dataclass
from .limits import CONFIG_LIMITS, LimitExceeded, Limits, read_problem, read_regular_file
from .text import TextUnreadable, decode

if TYPE_CHECKING:
    import yaml


class DataFileError(Exception):
    """A YAML/TOML/JSON data file that cannot be used; ``str()`` is one line
    (``file:line:column: what is wrong``), or several for several errors.
    ``limit`` is set when the file passed a reader's limit (too large, too
    deep, too many aliases). Messages name keys and positions, never values
    from the file (a policy path may name a file of credentials)."""

    def __init__(self, problems: Sequence[str], limit: LimitExceeded | None = None):
        self.problems = list(problems)
        self.limit = limit
        super().__init__("\n".join(self.problems))

    @classmethod
    def from_limit(cls, exceeded: LimitExceeded, filename: str) -> DataFileError:
        return cls([exceeded.at(filename)], limit=exceeded)


def read_data_bytes(path: Any, max_bytes: int, what: str,
                    error: type[DataFileError] = DataFileError) -> bytes:
    """The bytes of a configuration, policy or rule file: a regular file
    (never a FIFO, a device or ``/proc``: those would hang or never end)
    within ``max_bytes``. ``path`` may be a plugin's packaged resource.
    Raises ``error`` naming the file and why, never quoting it."""
    shown = str(path)
    try:
        if isinstance(path, (str, Path)):
            return read_regular_file(Path(path), max_bytes)
        with path.open("rb") as handle:  # a plugin's packaged resource
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise LimitExceeded("max_bytes", max_bytes)
        return data
    except LimitExceeded as exc:
        raise error.from_limit(exc, shown) from None
    except OSError as exc:
        raise error([f"{shown}: cannot read {what}: {read_problem(exc)}"]) from None


def decode_data(raw: bytes, shown: str, what: str,
                error: type[DataFileError] = DataFileError) -> str:
    """UTF-8 (or BOM-marked) text, or ``error`` saying why not."""
    try:
        return decode(raw)
    except TextUnreadable as exc:
        raise error([f"{shown}: cannot read {what}: {exc}"]) from None


def read_data_file(path: Any, max_bytes: int, what: str,
                   error: type[DataFileError] = DataFileError) -> str:
    """:func:`read_data_bytes`, decoded."""
    return decode_data(read_data_bytes(path, max_bytes, what, error), str(path), what, error)


@dataclass
class LoadedYaml:
    """Parsed data plus the node tree that knows each value's position."""

    data: Any
    node: yaml.Node | None
    filename: str
    # The text, when the data was remembered (load_remembered) rather than
    # parsed: the tree is built from it the first time a position is asked.
    text: str | None = field(default=None, repr=False, compare=False)
    limits: Limits = field(default=CONFIG_LIMITS, repr=False, compare=False)

    def tree(self) -> yaml.Node | None:
        if self.node is None and self.text is not None:
            self.node = load_yaml(self.text, self.filename, self.limits).node
            self.text = None
        return self.node

    def position(self, path: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the value at ``path``, or of the deepest
        ancestor that exists."""
        from .yaml_parser import child as _child

        node = self.tree()
        best = (1, 1)
        if node is not None:
            best = (node.start_mark.line + 1, node.start_mark.column + 1)
        for key in path:
            child = _child(node, key)
            if child is None:
                break
            node = child
            best = (node.start_mark.line + 1, node.start_mark.column + 1)
        return best

    def key_position(self, path: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the KEY that ends ``path`` (a value may
        start on a later line), or of its value when there is no key."""
        import yaml

        from .yaml_parser import child as _child

        parent = self.tree()
        for key in path[:-1]:
            parent = _child(parent, key)
        if isinstance(parent, yaml.MappingNode) and path:
            for k, _ in parent.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(path[-1]):
                    return k.start_mark.line + 1, k.start_mark.column + 1
        return self.position(path)

    def where(self, path: Sequence[str | int], key: bool = False) -> str:
        line, column = self.key_position(path) if key else self.position(path)
        return f"{self.filename}:{line}:{column}"


def load_yaml(text: str, filename: str, limits: Limits = CONFIG_LIMITS) -> LoadedYaml:
    """Parse YAML safely (no tags that build objects) within ``limits``;
    raise DataFileError with the position of a syntax error, of a
    duplicated key or of the place a limit was passed (``.limit`` set)."""
    import yaml

    from .yaml_parser import duplicate_keys, loader_for, parse

    if len(text) > limits.max_bytes:
        raise DataFileError.from_limit(LimitExceeded("max_bytes", limits.max_bytes), filename)
    try:
        node, data = parse(text, loader_for(text, limits), limits)
    except LimitExceeded as exc:
        raise DataFileError.from_limit(exc, filename) from None
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(exc):  # libyaml's own guard (1000 levels)
            mark = getattr(exc, "problem_mark", None)
            exceeded = LimitExceeded("max_depth", limits.max_depth,
                                     line=mark.line + 1 if mark else None,
                                     column=mark.column + 1 if mark else None)
            raise DataFileError.from_limit(exceeded, filename) from None
        raise _syntax_error(text, filename, exc) from None
    dupes = [
        f"{filename}:{k.start_mark.line + 1}:{k.start_mark.column + 1}: "
        f"key {name!r} appears twice"
        for name, k in duplicate_keys(node)
    ]
    if dupes:
        raise DataFileError(dupes)
    return LoadedYaml(data=data, node=node, filename=filename)


# The pure-Python parser reads about 1 MB a second: larger files keep
# libyaml's position.
_REPARSE_MAX_CHARS = 1024 * 1024


def _syntax_error(text: str, filename: str, first: yaml.YAMLError) -> DataFileError:
    """The error for YAML that does not parse, at its place. Parsed again with
    the pure-Python parser: it places errors where they are, where libyaml
    often reports the end of the stream. Only the parser's problem is
    quoted (``expected ':'``), never the text around it."""
    import yaml

    from .yaml_parser import CountingPythonLoader, parse

    exc: BaseException = first
    if len(text) <= _REPARSE_MAX_CHARS:
        try:
            parse(text, CountingPythonLoader, CONFIG_LIMITS)
        except yaml.YAMLError as again:
            exc = again
        except (RecursionError, LimitExceeded):  # deeper than Python's parser goes
            pass
    mark = getattr(exc, "problem_mark", None)
    where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return DataFileError([f"{where}: invalid YAML: {problem}"])


@cache
def shipped_data(name: str) -> Any:
    """A YAML data file shipped in ``rules/`` (``aiart_release.rules_data``),
    parsed once per process. These files are validated by the test suite."""
    text = resources.files("aiart_release.rules_data").joinpath(name).read_text("utf-8")
    return parsed_shipped(text, name)


def parsed_shipped(text: str, name: str) -> Any:
    """YAML this package ships (its data files, the default policy), parsed
    once per content (:func:`_remembered`); trusted, so parsed without the
    limits and position tree a user's file gets."""
    def parse() -> Any:
        import yaml

        from .yaml_parser import LOADER

        return yaml.load(text, Loader=LOADER)

    return _remembered(f"shipped-{name}", text, parse)


def load_remembered(text: str, filename: str, limits: Limits = CONFIG_LIMITS) -> LoadedYaml:
    """:func:`load_yaml` for a file read on every run (a plugin's rule
    pack), its data parsed once per content (:func:`_remembered`). The
    position tree is built only if a position is asked (a problem to
    report). A text that does not parse, or breaks a limit, is never
    remembered: it raises as :func:`load_yaml` does, every time."""
    parsed: list[LoadedYaml] = []

    def parse() -> Any:
        parsed.append(load_yaml(text, filename, limits))
        return parsed[0].data

    key = f"{text}\n{limits!r}"
    data = _remembered(f"yaml-{Path(filename).name}", key, parse)
    if parsed:
        return parsed[0]
    return LoadedYaml(data=data, node=None, filename=filename, text=text, limits=limits)


def _remembered(name: str, key: str, parse: Callable[[], Any]) -> Any:
    """``parse()``'s data, kept beside the result cache as JSON under
    ``key`` (``cache.derived``, with PyYAML's version): every run reads
    these files, a pre-commit hook on one caption among them, and reading
    JSON back is several times faster than parsing YAML again. Data that is
    not plain JSON (a date, an integer key) is parsed every time."""
    from ..cache import derived

    fresh: list[Any] = []

    def build() -> list[str]:
        fresh.append(parse())
        return [json.dumps(fresh[0], separators=(",", ":"))] if _plain(fresh[0]) else []

    from ..plugins import installed_version

    stored = derived(name.replace("/", "-"), f"{installed_version('PyYAML')}\n{key}", build)
    if fresh:
        return fresh[0]
    return json.loads(stored[0]) if stored else parse()


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``aiart_release/schemas``."""
    return json.loads(_schema_text(name))


def validate(loaded: LoadedYaml, schema_name: str) -> None:
    """Validate against a shipped schema; raise DataFileError listing every
    problem at its position, in file order.

    A document already found valid is remembered beside the result cache
    (``cache.derived``, keyed by the document, the schema and jsonschema's
    version): the built-in rule packs and policy are the same on every run,
    and importing jsonschema to validate them again cost a pre-commit hook
    50-100 ms. Invalid documents are never remembered."""
    from ..cache import derived

    canonical = _canonical(loaded.data)
    if canonical is None:  # not plain JSON data: validated every time
        _validate_now(loaded, schema_name)
        return
    from ..plugins import installed_version

    key = "\n".join([schema_name, _schema_text(schema_name), canonical,
                     installed_version("jsonschema") or "?"])

    def valid() -> list[str]:
        _validate_now(loaded, schema_name)  # raises DataFileError: nothing kept
        return []

    derived(f"valid-{schema_name.split('.')[0]}", key, valid)


def _validate_now(loaded: LoadedYaml, schema_name: str) -> None:
    from jsonschema import Draft202012Validator  # only when a file is validated

    validator = Draft202012Validator(schema(schema_name))
    problems = sorted(p for e in validator.iter_errors(loaded.data) for p in _describe(loaded, e))
    if problems:
        raise DataFileError([message for _, message in problems])


@cache
def _schema_text(name: str) -> str:
    return resources.files("aiart_release.schemas").joinpath(name).read_text("utf-8")


def _canonical(data: Any) -> str | None:
    """``data`` as one JSON text when it is plain JSON data (string keys;
    strings, numbers, booleans, null, lists, mappings), else None: a YAML
    date or an integer key would serialise like a string and let two
    different documents share a key."""
    try:
        return json.dumps(data, sort_keys=True) if _plain(data) else None
    except (TypeError, ValueError, RecursionError):
        return None


def _plain(value: Any) -> bool:
    """Whether ``value`` is plain JSON data, which JSON gives back equal."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return value is None or isinstance(value, (str, bool, int))


def _describe(loaded: LoadedYaml, error: Any) -> list[tuple[tuple[int, int], str]]:
    """(position, ``file:line:column: path: message``) for one schema error."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        # One message per unexpected key, at the key itself, suggesting the
        # key that was probably meant.
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in (k for k in error.instance if k not in allowed):
            import difflib  # a misspelt key: rare

            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = (f" (did you mean {close[0]!r}?)" if close
                    else f" (expected one of: {', '.join(allowed)})" if allowed else "")
            where = [*path, key]
            dotted = ".".join(str(p) for p in where)
            position = loaded.key_position(where)
            out.append((position, f"{loaded.filename}:{position[0]}:{position[1]}: "
                                  f"{dotted}: unknown key {key!r}{hint}"))
        if out:
            return out
    where = loaded.where(path)
    dotted = ".".join(str(p) for p in path) or "(top level)"
    return [(loaded.position(path), f"{where}: {dotted}: {value_free_message(error)}")]


_THE = {str: "the string", list: "the list", dict: "the mapping"}


def value_free_message(error: Any) -> str:
    """jsonschema's message without the text it quotes from the file: a
    string, list or mapping it starts with becomes "the string" (a policy
    path may name a file of credentials). Numbers, booleans and null stay:
    ``12 is less than the minimum of 512``."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        return "; or ".join(sorted({value_free_message(c) for c in error.context}))
    message = error.message
    instance = error.instance
    the = next((name for kind, name in _THE.items() if isinstance(instance, kind)), None)
    if the is None:
        return message
    shown = repr(instance)
    if message.startswith(shown):
        message = the + message[len(shown):]
    if shown in message:  # quoted elsewhere in the sentence
        return f"{the} is not allowed here ({error.validator})"
    return message
