"""Reporters turn an assessment into text: terminal, JSON and more, each in
its own module, registered through ``aiart_release_register_reporters``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine import Assessment


@dataclass(frozen=True)
class ReportOptions:
    """How to render: raw values only under ``show_pii``; ANSI colour only
    when writing to a terminal; the gate's verdict for the summary line."""

    show_pii: bool = False
    color: bool = False
    width: int | None = None
    fail_on: str | None = None
    gate: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Reporter:
    """An output format: ``--format NAME``."""

    name: str
    description: str
    render: Callable[[Assessment, ReportOptions], str]
