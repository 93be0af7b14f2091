"""``--format json``: the assessment as DESIGN.md defines it, validated in
the tests against ``schemas/assessment.schema.json``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import ReportOptions

if TYPE_CHECKING:
    from ..assessment import Assessment


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The assessment as indented JSON (masked unless ``--show-pii``)."""
    return json.dumps(assessment.to_dict(show_pii=options.show_pii), indent=2,
                      ensure_ascii=False) + "\n"
