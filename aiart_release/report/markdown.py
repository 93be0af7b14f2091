"""The release card in Markdown (``export markdown``, ``assess --format
markdown``): the tiers and retention per artifact with their reasons, what to
fix first, the dataset composition (counts to reflect on), the misuse
scenarios with their mitigations, the credits, and what was not checked.

It is GitHub-flavoured Markdown that fits a pull-request comment (long lists
collapse into ``<details>``, the whole card stays under GitHub's 65,536
characters) and a section of a Hugging Face card (its headings start at
``##``).

What it shows has passed the masking gate (``pipeline.mask_for_display``):
evidence is masked, and every text from the bundle (paths, messages,
reasons) is escaped so that it cannot add a heading, a link, HTML or a table
column. The one exception to masking is the credits section: the people a
release must credit are named in full there (without their contact data), as
``aiart-release credits`` names them in CREDITS.md.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..composition import PLACEHOLDERS
from ..findings import Checkpoint, Finding, Severity
from . import ReportOptions, composition_view

if TYPE_CHECKING:
    from ..assessment import Assessment

# Lists longer than this collapse into <details>.
OPEN_ITEMS = 3
# GitHub refuses a comment over 65,536 characters; the credits, the one
# section whose length the bundle sets, are cut to keep the card under it.
MAX_CARD = 60_000
CREDITS_OPEN = 10  # creators listed openly; more collapse
# CREDITS.md credits someone: a table of creators, or models and code.
_CREDITS_CONTENT = re.compile(r"^(\| creator \||## Models and code)", re.M)
MAX_TEXT = 600  # characters of one text from the bundle (a message, a reason)
TIER_MARK = {"open": "🟢 open", "gated": "🟡 gated", "closed": "🔴 closed"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# What can open emphasis, code, a link or image (a link needs "]"), HTML or
# an entity, a table column, strikethrough or maths; block markup needs the
# start of a line, which a text never reaches once its newlines are spaces.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
# "@name" and "#12" would notify a GitHub user or link an issue from a
# pull-request comment: a word joiner after the sign keeps them plain text.
_REFERENCE = re.compile(r"([@#])(?=\w)")


def _flat(value: object) -> str:
    flat = " ".join(_CONTROL.sub(" ", str(value)).split())
    return flat if len(flat) <= MAX_TEXT else flat[:MAX_TEXT - 1] + "…"


def text(value: object) -> str:
    """``value`` on one line, at most MAX_TEXT characters, with no Markdown,
    HTML, mention or issue reference in it."""
    return _REFERENCE.sub("\\1\u2060", _SPECIAL.sub(r"\\\1", _flat(value)))


def code(value: object) -> str:
    """``value`` as an inline code span (ids, paths, evidence): shown as
    written, nothing in it rendered; a backtick cannot end it early."""
    return f"`{_flat(value).replace('`', chr(0x2018))}`"


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The card as Markdown text."""
    sections = [
        _heading(assessment, options),
        _recommendation(assessment),
        _fix_first(assessment, options.show_pii),
        _findings_summary(assessment),
        _composition(assessment),
        _scenarios(assessment),
        _limitations(assessment),
    ]
    body = "\n".join(s for s in sections if s)
    credits = _credits(assessment, MAX_CARD - len(body))
    footer = (f"\n\n---\n\n_Made by [aiart-release](https://pypi.org/project/aiart-release/) "
              f"{__version__} (`aiart-release export markdown`). Evidence is masked._\n")
    return body + "\n" + credits + footer


# --- sections -----------------------------------------------------------------


def _heading(assessment: Assessment, options: ReportOptions) -> str:
    rec = assessment.recommendation
    inv = assessment.inventory
    lines = ["## Release assessment", ""]
    lines.append(f"**Overall: {TIER_MARK.get(rec.overall, text(rec.overall))}** · "
                 f"{len(inv.files)} files · artifacts: "
                 f"{', '.join(rec.artifacts) or 'none'} · {_declared(assessment)}")
    if options.gate:
        lines += ["", "> [!WARNING]",
                  f"> The release gate fails: {text('; '.join(options.gate))}."]
    return "\n".join(lines) + "\n"


def _declared(assessment: Assessment) -> str:
    declared = assessment.config.declared()
    release = declared.get("release")
    if not release:
        return "release not declared (add aiart-release.yaml: release, commercial)"
    shown = release if isinstance(release, str) else ", ".join(
        f"{k} {v}" for k, v in release.items())
    commercial = declared.get("commercial")
    use = "" if commercial is None else f", commercial use {'yes' if commercial else 'no'}"
    return f"declared: {text(shown)}{use}"


def _recommendation(assessment: Assessment) -> str:
    from ..policy import INDEFINITE

    declared = assessment.config.release
    lines = ["### Tiers and retention", "",
             "| artifact | recommended | declared | keep raw data |", "|---|---|---|---|"]
    for name, d in assessment.recommendation.artifacts.items():
        retention = "indefinitely" if d.retention == INDEFINITE else _duration(d.retention)
        lines.append(f"| {text(name)} | {TIER_MARK.get(d.tier, text(d.tier))} | "
                     f"{text(declared.get(name, '–'))} | {retention} |")
    lines.append("")
    for name, d in assessment.recommendation.artifacts.items():
        items = [f"- {text(r)}" for r in d.reasons]
        items += [f"- **to lower the tier:** {text(t)}" for t in d.to_lower]
        if d.retention_reason:
            items.append(f"- **retention:** {text(d.retention_reason)}")
        if not items:
            continue
        count = len(d.reasons)
        summary = f"<b>{text(name)}</b>: {text(d.tier)}" + (
            f", {count} reason{'s' * (count != 1)}" if count else "")
        lines += _maybe_collapsed(summary, items) + [""]
    return "\n".join(lines)


def _duration(iso: str) -> str:
    from ..policy import duration_days

    try:
        days = duration_days(iso)
    except ValueError:
        return text(iso)
    return f"{days:g} days ({text(iso)})"


def _fix_first(assessment: Assessment, show_pii: bool) -> str:
    from .terminal import fix_first

    first = fix_first(assessment)
    lines = ["### What to fix first", ""]
    if not first:
        return "\n".join(lines + ["Nothing holds the release back.", ""])
    for n, (f, holds) in enumerate(first, 1):
        held = ", ".join(f"{a} {t}" for a, t in holds)
        line = (f"{n}. **{f.severity.value}** {code(f.id)} in {_place(f)}: "
                f"{text(f.message)}")
        if held:
            line += f" _(holds back: {text(held)})_"
        evidence = f.shown_evidence(show_pii)
        if evidence:
            line += f"<br>evidence: {code(evidence)}"
        if f.remediation:
            line += f"<br>**fix:** {text(f.remediation)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _place(f: Finding) -> str:
    from .terminal import _place as place

    return code(place(f))


def _findings_summary(assessment: Assessment) -> str:
    if not assessment.findings:
        return "### Findings\n\nNo findings.\n"
    counts = Counter((f.checkpoint or Checkpoint.PUBLISHING, f.severity)
                     for f in assessment.findings)
    severities = [s for s in sorted(Severity, key=lambda s: -s.rank)
                  if any(k[1] == s for k in counts)]
    lines = ["### Findings by checkpoint", "",
             "| checkpoint | " + " | ".join(s.value for s in severities) + " |",
             "|---|" + "---:|" * len(severities)]
    for cp in Checkpoint:
        row = [str(counts.get((cp, s), 0) or "·") for s in severities]
        lines.append(f"| {cp.title} | " + " | ".join(row) + " |")
    accepted = len(assessment.suppressed)
    if accepted:
        lines += ["", f"{accepted} finding{'s' * (accepted != 1)} accepted by a reviewer "
                      "(baseline, ignore or allow list) not counted."]
    return "\n".join(lines) + "\n"


def _composition(assessment: Assessment) -> str:
    """The dataset composition summary (composition_view) as a two-column
    table: counts only, no name and no caption text. Hosts and licence ids
    come from the bundle: inline code, so that none renders or autolinks,
    with "|" escaped so that none adds a column."""
    summary = composition_view.shown(assessment)
    if summary is None:
        return ""
    rows = composition_view.rows(summary, text, _cell_counts)
    lines = ["### Dataset composition", "", composition_view.VERDICT, "",
             "| | count |", "|---|---|", *(f"| {label} | {cell} |" for label, cell in rows)]
    for note in composition_view.notes(summary):
        lines += ["", f"_{text(note)}_"]
    return "\n".join(lines) + "\n"


def _cell_counts(counts: dict[str, int], from_bundle: bool = True) -> str:
    """``name n, …`` for a table cell. Names ``from_bundle`` (hosts, licence
    ids) are code, the summary's own ("(none stated)") text; the shipped
    terms (``from_bundle=False``) are text."""
    def name_of(name: str) -> str:
        return _cell_code(name) if from_bundle and name not in PLACEHOLDERS else text(name)

    return ", ".join(f"{name_of(name)} {int(n)}" for name, n in counts.items()) or "none"


def _cell_code(value: object) -> str:
    """``value`` as code in a table cell. GitHub splits a row at every "|"
    not escaped by a backslash, code spans included: a "|" gets one, and a
    backslash (which could escape that one's) becomes a look-alike."""
    return code(value).replace("\\", "\u29f5").replace("|", "\\|")


def _scenarios(assessment: Assessment) -> str:
    lines = ["### Misuse scenarios", ""]
    if not assessment.scenarios:
        return "\n".join(lines + ["No misuse scenario applies to this release.", ""])
    for s in assessment.scenarios:
        scenario = s.get("scenario") or {}
        lines.append(f"#### {text(s.get('title', s['id']))}")
        lines.append("")
        lines.append(f"{code(s['id'])} · likelihood {text(s.get('likelihood', '?'))} · "
                     f"impact {text(s.get('impact', '?'))}"
                     + (f" · lowest tier: {_tiers(s['min_tier'])}" if s.get("min_tier") else ""))
        if scenario.get("harm"):
            who = f" by {text(scenario['actor'])}" if scenario.get("actor") else ""
            lines += ["", f"**Harm**{who}: {text(scenario['harm'])}"]
        lines.append("")
        mitigations = [f"- [x] {text(m['mitigation'])} _(in place: "
                       f"{text('; '.join(m.get('because', [])[:2]))})_"
                       for m in s.get("in_place", [])]
        mitigations += [f"- [ ] {text(m)}" for m in s.get("mitigations", [])]
        if mitigations:
            lines += ["**Mitigations** (ticked: already in place)", ""] + mitigations + [""]
        because = [f"- {text(b)}" for b in s.get("because", [])]
        if because:
            lines += _maybe_collapsed("why it applies", because, always=True) + [""]
    return "\n".join(lines)


def _tiers(tiers: dict) -> str:
    return text(", ".join(f"{a} {t}" for a, t in tiers.items()))


def _limitations(assessment: Assessment) -> str:
    items = not_checked(assessment)
    lines = ["### Limitations: what was not checked", ""]
    if not items:
        return "\n".join(lines + ["Every installed check ran on every file.", ""])
    return "\n".join(lines + [f"- {item}" for item in items] + [""])


def not_checked(assessment: Assessment) -> list[str]:
    """What the assessment did not look at, as Markdown list items: files
    not read, checks skipped, failed or turned off, text in images not read,
    no generator run, capped comparisons, checkpoints no check covers."""
    out = []
    inv, config = assessment.inventory, assessment.config
    if inv.skipped:
        out.append(f"{inv.skipped} file{'s' * (inv.skipped != 1)} left out of the inventory "
                   "(excluded, too large, links or special files).")
    unread = Counter(f.id for f in assessment.findings if f.id.startswith("bundle."))
    for finding_id, n in sorted(unread.items()):
        out.append(f"{code(finding_id)} on {n} place{'s' * (n != 1)}: "
                   f"{_unread_meaning(finding_id)}")
    skipped: dict[str, list[Finding]] = {}
    for f in assessment.findings:
        if f.id.startswith("plugin.") or f.id in _NOT_RUN:
            skipped.setdefault(f.id, []).append(f)
    for finding_id, found in sorted(skipped.items()):
        more = f" (and {len(found) - 1} more like it)" if len(found) > 1 else ""
        out.append(f"{code(finding_id)}: {text(found[0].message)}{more}")
    off = sorted(c for c in config.checks if not config.check_enabled(c))
    if off:
        out.append("Checks turned off in the configuration: "
                   f"{', '.join(code(c) for c in off)}.")
    if inv.of_kind("image") and not _ocr_on(config):
        out.append("Text inside images was not read (OCR is off: "
                   "`checks: {media-ocr: {ocr: true}, pii: {ocr: true}}` turns it on).")
    if "model" in assessment.recommendation.artifacts and config.model is None:
        out.append("No generator is declared (`model:` in aiart-release.yaml), so no fresh "
                   "samples were compared with the training images: only the samples in "
                   "the bundle were.")
    covered = {cp for c in assessment.registry.checks.values() for cp in c.checkpoints}
    for cp in Checkpoint:
        if cp not in covered:
            out.append(f"No installed check covers the checkpoint {cp.title}.")
    return out


# Findings that say a comparison was not made, or only in part.
_NOT_RUN = ("model.check-skipped", "model.generation-failed", "model.memorisation-partial")

_UNREAD = {
    "bundle.unreadable": "files that could not be read were not checked",
    "bundle.too-large": "files over the size limit were not read",
    "bundle.too-slow": "a check was stopped on a file that took too long",
    "bundle.timeout": "the run's time limit stopped some checks",
    "bundle.too-complex": "files too complex to parse were not checked",
}


def _unread_meaning(finding_id: str) -> str:
    return _UNREAD.get(finding_id, "see docs/findings.md")


def _ocr_on(config) -> bool:
    return any(config.check_settings(c).get("ocr") for c in ("media-ocr", "pii"))


def _credits(assessment: Assessment, room: int) -> str:
    """The credits a plugin gives through ``aiart_release_credits`` (the
    provenance plugin: the text of CREDITS.md), its headings moved under this
    card's; names in full, contact data left out. Cut to ``room`` characters,
    a long list collapsed."""
    body = _credits_body(assessment)
    people = sum(1 for line in body.splitlines() if line.startswith("| ")) - 1  # less header
    room -= 300  # the note and the <details> around the list
    if len(body) > room:
        cut = body.rfind("\n", 0, max(room, 0))
        body = (body[:cut] if cut > 0 else "") + (
            "\n\n_The credits are cut here to fit; `aiart-release credits` writes them "
            "in full to CREDITS.md._\n")
    if people > CREDITS_OPEN:
        body = (f"<details><summary>{people} creators</summary>\n\n"
                f"{body.strip()}\n\n</details>\n")
    return "### Credits\n\n" + body.lstrip("\n")


def _credits_body(assessment: Assessment) -> str:
    from ..watchdog import guarded

    hook = getattr(assessment.registry.pm.hook, "aiart_release_credits", None)
    if hook is None or not hook.get_hookimpls():
        return "No installed plugin gives the credits (the provenance plugin does).\n"
    inv = assessment.inventory
    full, exc = guarded(None, lambda: hook(root=Path(inv.root), inventory=inv,
                                           config=assessment.config))
    if exc is not None:  # type only: a message may quote the bundle
        return f"The credits could not be made ({type(exc).__name__}).\n"
    if not isinstance(full, str) or not _CREDITS_CONTENT.search(full):
        return ("No sources manifest lists what the dataset holds, so there is no one to "
                "credit from it (add data/sources.csv: file, creator, source, license, "
                "consent; then `aiart-release credits`).\n")
    lines = full.splitlines()[1:]  # its title: this card has its own heading
    # Its headings move two levels down, under "### Credits"; a cell never
    # starts a line (credits.py escapes it), so only headings start with #.
    return "\n".join("##" + line if line.startswith("#") else line for line in lines)


def _maybe_collapsed(summary: str, items: list[str], always: bool = False) -> list[str]:
    """``items`` as a list; more than OPEN_ITEMS (or ``always``) inside a
    collapsed ``<details>`` whose ``summary`` is already escaped."""
    if not always and len(items) <= OPEN_ITEMS:
        return [summary.replace("<b>", "**").replace("</b>", "**"), "", *items]
    return [f"<details><summary>{summary}</summary>", "", *items, "", "</details>"]
