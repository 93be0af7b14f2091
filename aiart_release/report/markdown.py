"""The release card in Markdown (``export markdown``): being written."""

from __future__ import annotations


def render(assessment, options) -> str:
    lines = ["## Release assessment", "", "| artifact | recommended |", "|---|---|"]
    lines += [f"| {name} | {d.tier} |" for name, d in assessment.recommendation.artifacts.items()]
    return "\n".join(lines) + "\n"
