"""Front matter of a gated Hugging Face repository (``export hf-gating``):
being written."""

from __future__ import annotations

from . import NothingToExport


def render(assessment, options) -> str:
    raise NothingToExport("not written yet")
