"""PyYAML's parser held to the reader limits: loaders that count nodes
and depth as they compose, the check of a composed node graph (aliases
expanded) and the node helpers positions are found with.

A module of its own so that PyYAML is imported only when a YAML text is
parsed: the files read on every run are remembered as JSON
(yamlfile._remembered), and a run that parses none never imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .limits import CONFIG_LIMITS, LimitExceeded, Limits

# libyaml's parser when PyYAML has it (the wheels do): same safe constructor,
# same marks, several times faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Counted:
    """PyYAML's ``compose_node``, counting nodes and depth as they are made,
    so a document stops at its limit rather than after it is all in memory
    (``[1,1,1,…`` holds a node per two bytes, ~500 bytes of memory each)."""

    limits: Limits = CONFIG_LIMITS
    nodes = 0
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        self.depth += 1
        try:
            for limit, value in (("max_nodes", self.nodes), ("max_depth", self.depth)):
                if value > getattr(self.limits, limit):
                    mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                    raise LimitExceeded(limit, getattr(self.limits, limit),
                                        line=mark.line + 1, column=mark.column + 1)
            return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


class CountingPythonLoader(_Counted, yaml.SafeLoader):
    """The pure-Python parser, counting (it places syntax errors best)."""


if hasattr(yaml, "cyaml"):
    class _CountingLoader(_Counted, yaml.cyaml.CParser, SafeConstructor, Resolver):
        """libyaml's events, composed in Python so that they can be counted."""

        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

        def __init__(self, stream: str):
            yaml.cyaml.CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.anchors: dict[str, yaml.Node] = {}
else:  # pragma: no cover - PyYAML without libyaml
    _CountingLoader = CountingPythonLoader  # type: ignore[misc]


def loader_for(text: str, limits: Limits) -> type:
    """libyaml composes in C, fast, but cannot be stopped part-way: it is
    used when the text cannot hold more nodes than the limit allows. Every
    node but the first needs one of ``,[{:-?`` or a line break before it, and
    a mapping entry is two nodes: at most 2 × those + 1."""
    separators = sum(text.count(c) for c in ",[{:-?\n")
    return LOADER if 2 * separators + 1 <= limits.max_nodes else _CountingLoader


def child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def duplicate_keys(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    yield k.value, k
                seen.add(k.value)
            yield from duplicate_keys(v)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from duplicate_keys(item)


def parse(text: str, loader_class: type, limits: Limits) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    loader.limits = limits  # read by _Counted loaders
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        # Before any value is built: an alias bomb is a few nodes until
        # something walks it.
        check_node_graph(node, limits)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def check_node_graph(root: yaml.Node, limits: Limits) -> None:
    """Count aliases, depth and size (every alias expanded) of a composed
    YAML document, visiting each node once; raise LimitExceeded.

    PyYAML has no guard of its own: ten levels of nine aliases is a few
    hundred bytes that expand to 3.5 billion values for whoever walks them."""
    size: dict[int, int] = {}  # node -> values below it, aliases expanded
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > limits.max_nodes:
                raise _limit_at("max_nodes", limits.max_nodes, node)
            if depth[key] > limits.max_depth:
                raise _limit_at("max_depth", limits.max_depth, node)
        elif key in size:  # a node met again: an alias of it
            aliases += 1
            if aliases > limits.max_aliases:
                raise _limit_at("max_aliases", limits.max_aliases, node)
        elif key in on_path:
            raise _limit_at("recursive", 0, node)
        else:
            on_path.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _limit_at(limit: str, maximum: int, node: yaml.Node) -> LimitExceeded:
    mark = node.start_mark
    return LimitExceeded(limit, maximum, line=mark.line + 1, column=mark.column + 1)
