"""The dataset composition summary (composition.py) as the rows and notes a
report shows: one wording for the release card and the HTML page, each of
which escapes and marks up the values its own way.

The summary holds counts, hosts and licence ids only (never a name, a URL's
path, a free-text licence or caption text); nothing here adds anything from
the bundle to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..sizes import human_size

if TYPE_CHECKING:
    from ..assessment import Assessment

# (counts, from_bundle) -> the format's cell: hosts and licence ids come from
# the bundle; the words describing people are the shipped vocabulary's.
CountsCell = Callable[[dict[str, int], bool], str]


def shown(assessment: Assessment) -> dict[str, Any] | None:
    """The summary when the report covers the dataset: None without one, or
    when ``export --artifact`` leaves the dataset out."""
    summary = getattr(assessment, "composition", None)
    if summary is None or "dataset" not in assessment.recommendation.artifacts:
        return None
    return summary


def rows(summary: dict[str, Any], plain: Callable[[str], str],
         counts: CountsCell) -> list[tuple[str, str]]:
    """``(label, cell)`` per fact, in the terminal's order. ``plain``
    escapes a text of ours for the format; ``counts`` writes a table of
    counts (empty: "none")."""
    files = ", ".join(f"{plain(kind)} {int(v['files'])} ({plain(human_size(int(v['bytes'])))})"
                      for kind, v in summary["files"].items())
    out = [("Files", files or plain("none"))]
    if summary["items"]:
        creators = summary["creators"]
        out += [("Items", plain(f"{int(summary['items'])} listed with their sources")),
                ("Sources", counts(summary["sources"], True)),
                ("Creators", plain(f"{int(creators['distinct'])} distinct · "
                                   f"{int(creators['items_without'])} items name none")),
                ("Licences", counts(summary["licenses"], True))]
    captions = summary["captions"]
    if captions["read"]:
        out.append(("Captions", plain(f"{int(captions['read'])} read; words describing "
                                      "people, as the captions write them:")))
        out += [(f"· {plain(category)}", counts(terms, False))
                for category, terms in captions["terms"].items()]
    return out


def notes(summary: dict[str, Any]) -> list[str]:
    """What to read the counts with, as plain text: what the caption words
    are, whether reading was capped, files that could not be read."""
    out = []
    captions = summary["captions"]
    if captions["read"] and captions.get("note"):
        out.append(str(captions["note"]))
    if summary["capped"]:
        limits = summary["limits"]
        out.append(f"Capped: the first {int(limits['rows'])} rows and "
                   f"{human_size(int(limits['caption_bytes']))} of captions were read; the "
                   "counts are of what was read.")
    if summary["unreadable"]:
        n = int(summary["unreadable"])
        out.append(f"{n} file{'s' * (n != 1)} could not be read for it.")
    return out


VERDICT = "Counts to reflect on, not a verdict: no finding, no effect on tiers."
