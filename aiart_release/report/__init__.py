"""Reporters turn an assessment into text: terminal, JSON, SARIF and more,
each in its own module.

This package is also the built-in ``reporters`` plugin (entry point
``reporters = "aiart_release.report"``): it registers its renderers through
``aiart_release_register_reporters``, exactly as a third-party format is
registered. A renderer module is imported only when the hook is called, so
that loading plugins for ``--help`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from importlib import import_module
from typing import TYPE_CHECKING

from .. import hookimpl
from ..records import dataclass

if TYPE_CHECKING:
    from ..assessment import Assessment


@dataclass(frozen=True)
class ReportOptions:
    """How to render: ANSI colour only when writing to a terminal; the
    gate's verdict for the summary line. ``show_pii`` says whether the user
    asked for raw values: without it the assessment a renderer gets has
    already passed the masking gate (``pipeline.mask_for_display``), and no
    raw value is left in it to show."""

    show_pii: bool = False
    color: bool = False
    width: int | None = None
    fail_on: str | None = None
    gate: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Reporter:
    """An output format: ``--format NAME``. ``render`` shows what the
    assessment's findings, scenarios and recommendation say (masked text);
    it never lists the inventory's paths or the facts' values, which are
    the stages' raw values."""

    name: str
    description: str
    render: Callable[[Assessment, ReportOptions], str]
    # Set for a file a release needs (``aiart-release export NAME``): the
    # name ``export`` writes in the current folder when no --output is given.
    # None: a format of ``assess --format`` only.
    filename: str | None = None


class NothingToExport(Exception):
    """Raised by ``render`` when the assessment gives nothing to write (no
    gated artifact for the gating front matter, no dataset for Croissant):
    ``export`` says why, writes nothing and exits 0."""


def _lazy(module: str) -> Callable[[Assessment, ReportOptions], str]:
    """The ``render`` of ``report.<module>``, imported when first called:
    a run that renders one format (or none: a pre-commit hook that passes)
    imports neither the others nor what they need (rich, 20-40 ms)."""
    def render(assessment: Assessment, options: ReportOptions) -> str:
        return import_module(f"{__name__}.{module}").render(assessment, options)

    render.__module__ = f"{__name__}.{module}"
    render.__qualname__ = "render"
    return render


@hookimpl
def aiart_release_register_reporters(register):
    """The built-in formats: the terminal report, JSON and SARIF; the
    release files of ``export`` (one line each)."""
    register(Reporter("terminal", "Human-readable report grouped by checkpoint (default)",
                      _lazy("terminal")))
    register(Reporter("json", "The assessment as JSON (schemas/assessment.schema.json)",
                      _lazy("json_report")))
    register(Reporter("sarif", "SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps)",
                      _lazy("sarif")))
    register(Reporter("html", "One self-contained HTML page: charts, filterable findings, "
                      "tiers at a glance (no network requests)", _lazy("html"),
                      filename="aiart-release-report.html"))
    register(Reporter("markdown", "Release card in Markdown (a pull-request comment, a section "
                      "of a Hugging Face card)", _lazy("markdown"), filename="RELEASE_CARD.md"))
    register(Reporter("hf-gating", "Front matter of a gated Hugging Face repository, when an "
                      "artifact is recommended gated", _lazy("hf_gating"),
                      filename="hf-gating.yaml"))
    register(Reporter("croissant", "Croissant 1.0 metadata.json of the dataset, with the "
                      "Responsible AI fields from the assessment", _lazy("croissant"),
                      filename="metadata.json"))
    register(Reporter("cyclonedx", "CycloneDX 1.6 ML-BOM (JSON): the model and its card, "
                      "datasets, code dependencies, licences, hashes", _lazy("cyclonedx"),
                      filename="bom.cdx.json"))
