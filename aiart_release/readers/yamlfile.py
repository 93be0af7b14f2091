"""Safe YAML loading that remembers where every value came from, and JSON
Schema validation whose messages point at ``file:line:column``.

Configuration, policy and rule files all go through here, so that every
error a user sees names the place to fix.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

# libyaml's parser when PyYAML has it (the wheels do): same safe constructor,
# same marks, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(Exception):
    """A YAML/TOML/JSON data file that cannot be used; ``str()`` is one line
    (``file:line:column: what is wrong``), or several for several errors."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class LoadedYaml:
    """Parsed data plus the node tree that knows each value's position."""

    data: Any
    node: yaml.Node | None
    filename: str

    def position(self, path: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the value at ``path``, or of the deepest
        ancestor that exists."""
        node = self.node
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
        parent = self.node
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


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _duplicate_keys(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    yield k.value, k
                seen.add(k.value)
            yield from _duplicate_keys(v)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item)


def _parse(text: str, loader_class: type) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def load_yaml(text: str, filename: str) -> LoadedYaml:
    """Parse YAML safely (no tags that build objects); raise DataFileError
    with the position of a syntax error or of a duplicated key."""
    try:
        node, data = _parse(text, _LOADER)
    except yaml.YAMLError:
        # Parse again with the pure-Python parser: it places errors where
        # they are, where libyaml often reports the end of the stream.
        try:
            node, data = _parse(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise DataFileError([f"{where}: invalid YAML: {problem}"]) from None
    dupes = [
        f"{filename}:{k.start_mark.line + 1}:{k.start_mark.column + 1}: "
        f"key {name!r} appears twice"
        for name, k in _duplicate_keys(node)
    ]
    if dupes:
        raise DataFileError(dupes)
    return LoadedYaml(data=data, node=node, filename=filename)


@cache
def shipped_data(name: str) -> Any:
    """A YAML data file shipped in ``rules/`` (``aiart_release.rules_data``),
    parsed once per process. These files are validated by the test suite."""
    text = resources.files("aiart_release.rules_data").joinpath(name).read_text("utf-8")
    return yaml.load(text, Loader=_LOADER)


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``aiart_release/schemas``."""
    text = resources.files("aiart_release.schemas").joinpath(name).read_text("utf-8")
    return json.loads(text)


def validate(loaded: LoadedYaml, schema_name: str) -> None:
    """Validate against a shipped schema; raise DataFileError listing every
    problem at its position, in file order."""
    from jsonschema import Draft202012Validator  # only when a file is validated

    validator = Draft202012Validator(schema(schema_name))
    problems = sorted(p for e in validator.iter_errors(loaded.data) for p in _describe(loaded, e))
    if problems:
        raise DataFileError([message for _, message in problems])


def _describe(loaded: LoadedYaml, error: Any) -> list[tuple[tuple[int, int], str]]:
    """(position, ``file:line:column: path: message``) for one schema error."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        # One message per unexpected key, at the key itself, suggesting the
        # key that was probably meant.
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in (k for k in error.instance if k not in allowed):
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
    message = error.message
    where = loaded.where(path)
    dotted = ".".join(str(p) for p in path) or "(top level)"
    # jsonschema's messages for oneOf are long; keep one line.
    if error.validator == "oneOf" and error.context:
        message = "; or ".join(sorted({c.message for c in error.context}))
    return [(loaded.position(path), f"{where}: {dotted}: {message}")]
