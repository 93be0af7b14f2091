"""Front matter of a gated Hugging Face repository (``export hf-gating``).

For each artifact recommended gated (or declared gated and not recommended
closed), the YAML block that goes at the top of the repository's README.md:

- ``extra_gated_heading`` and ``extra_gated_button_content``: what the
  access form says;
- ``extra_gated_prompt``: why access is gated (the recommendation's
  reasons, their evidence left out) and what the model or data must not be
  used for (the misuse scenarios that bear on the artifact);
- ``extra_gated_fields``: name, affiliation, intended use (a select) and
  agreement to the use policy (a checkbox), with the field types the Hub
  documents (https://huggingface.co/docs/hub/models-gated#customize-requested-information:
  text, checkbox, date_picker, country, select with options).

Nothing is gated: :class:`NothingToExport` (``export`` says so, exit 0). A
closed artifact is not published at all, so it gets no gating either.

The texts come from the masked assessment, and the YAML is written by
``yaml.safe_dump``: no text can add a key or end the front matter.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml

from . import NothingToExport, ReportOptions

if TYPE_CHECKING:
    from ..assessment import Assessment

# The field types the Hub documents for extra_gated_fields (source above).
FIELD_TYPES = ("text", "checkbox", "date_picker", "country", "select")
AGREEMENT = "I have read the use policy above and agree to follow it"
INTENDED_USE_OPTIONS: list[Any] = ["Research", "Education", "Art or creative practice",
                                   {"label": "Other", "value": "other"}]
REPOSITORY = {"model": "model", "dataset": "dataset", "code": "code"}

_TIER_PREFIX = re.compile(r"^(open|gated|closed):\s*")
_EVIDENCE = re.compile(r"\s*\[[^\[\]]*\]\s*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def render(assessment: Assessment, options: ReportOptions) -> str:
    """One front-matter block per gated artifact; NothingToExport when none."""
    gated = gated_artifacts(assessment)
    if not gated:
        tiers = ", ".join(f"{name} {d.tier}"
                          for name, d in assessment.recommendation.artifacts.items())
        raise NothingToExport(f"no artifact is recommended or declared gated ({tiers or 'none'})"
                              "; a closed artifact is not published, so it needs no gate")
    blocks = []
    for artifact in gated:
        where = REPOSITORY.get(artifact, artifact)
        body = yaml.dump(front_matter(assessment, artifact), Dumper=_Dumper, sort_keys=False,
                         allow_unicode=True, width=88)
        blocks.append(f"---\n# {artifact}: the front matter of the gated {where} repository "
                      f"(the top of its README.md)\n{body}---\n")
    return "\n".join(blocks)


def gated_artifacts(assessment: Assessment) -> list[str]:
    """The artifacts to gate: recommended gated, or declared gated and not
    recommended closed (the user chose to gate what could be open)."""
    declared = assessment.config.release
    return [name for name, d in assessment.recommendation.artifacts.items()
            if d.tier == "gated" or (d.tier == "open" and declared.get(name) == "gated")]


def front_matter(assessment: Assessment, artifact: str) -> dict[str, Any]:
    """The ``extra_gated_*`` keys for one artifact's repository."""
    what = "model" if artifact == "model" else "dataset" if artifact == "dataset" else artifact
    return {
        "extra_gated_heading": f"Request access to this {what}",
        "extra_gated_prompt": gating_prompt(assessment, artifact),
        "extra_gated_fields": {
            "Name": "text",
            "Affiliation": "text",
            "Intended use": {"type": "select", "options": INTENDED_USE_OPTIONS},
            AGREEMENT: "checkbox",
        },
        "extra_gated_button_content": "Agree and request access",
    }


def gating_prompt(assessment: Assessment, artifact: str) -> str:
    """Why access is gated, and what the use policy forbids."""
    what = "model" if artifact == "model" else "dataset" if artifact == "dataset" else artifact
    reasons = gating_reasons(assessment, artifact)
    lines = [f"Access to this {what} is granted on request."]
    if reasons:
        lines += ["", "It is gated because:"] + [f"- {r}" for r in reasons]
    misuses = _misuses(assessment, artifact)
    lines += ["", "Use policy: by requesting access you agree not to use it for"]
    if misuses:
        lines += [f"- {m}" for m in misuses]
    else:
        lines.append("- anything that harms the people or the creators whose work it holds.")
    lines += ["", "Access may be withdrawn from anyone who breaks this policy."]
    return "\n".join(lines) + "\n"


def gating_reasons(assessment: Assessment, artifact: str) -> list[str]:
    """The recommendation's reasons at the gated tier, as a person reads
    them: the tier and the evidence in brackets (paths, finding ids) left
    out, misuse scenarios left to the use policy."""
    decision = assessment.recommendation.artifacts[artifact]
    out: list[str] = []
    for reason in decision.reasons:
        tier = _TIER_PREFIX.match(reason)
        if tier and tier.group(1) != "gated":
            continue
        text = _EVIDENCE.sub("", _TIER_PREFIX.sub("", _one_line(reason)))
        if text and not text.startswith("misuse scenario") and text not in out:
            out.append(text)
    if not out and assessment.config.release.get(artifact) == "gated":
        out.append("the release authors chose to gate it (aiart-release.yaml).")
    return out


def _misuses(assessment: Assessment, artifact: str) -> list[str]:
    """``title: harm`` of each misuse scenario that sets a tier for the
    artifact (all scenarios when none names it)."""
    scenarios = [s for s in assessment.scenarios if artifact in (s.get("min_tier") or {})]
    out = []
    for s in scenarios or assessment.scenarios:
        harm = (s.get("scenario") or {}).get("harm")
        title = _one_line(s.get("title") or s["id"])
        out.append(f"{title.lower()}: {_one_line(harm)}" if harm else title.lower())
    return out


class _Dumper(yaml.SafeDumper):
    """Safe YAML, a text of several lines as a literal block (``|``) that
    reads as it will show; PyYAML falls back to quoting where a block
    cannot hold the text."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", str(text)).split())
