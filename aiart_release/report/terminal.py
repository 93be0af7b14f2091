"""The terminal report (rich): findings grouped by the four checkpoints of
the field guide, a panel per artifact with its tier, retention, reasons and
what to fix, and a one-line verdict.

Everything that comes from the bundle (paths, messages, evidence) has passed
the masking gate before it gets here, and is printed as plain ``Text``, never
parsed as rich markup.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..findings import Checkpoint, Finding, Severity
from ..sizes import human_size
from . import ReportOptions

if TYPE_CHECKING:
    from ..assessment import Assessment

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
TIER_STYLE = {"open": "bold green", "gated": "bold yellow", "closed": "bold red"}
MAX_PER_CHECKPOINT = 40
MAX_PLACES = 6
MAX_FIX_FIRST = 10


def _place(f: Finding) -> str:
    loc = f.location
    place = loc.path
    if loc.field:
        place += f" [{loc.field}]"
    many = loc.rows or loc.lines
    if many and len(many) > 1:
        label = "rows" if loc.rows else "lines"
        shown = ", ".join(str(n) for n in many[:MAX_PLACES])
        more = f" (+{len(many) - MAX_PLACES})" if len(many) > MAX_PLACES else ""
        return f"{place} {label} {shown}{more}"
    if loc.row is not None:
        return f"{place} row {loc.row}"
    if loc.line is not None:
        return f"{place}:{loc.line}"
    return place


def _finding_rows(findings: list[Finding], show_pii: bool) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    table.add_column("severity", no_wrap=True, width=9)
    table.add_column("what", overflow="fold")
    for f in findings[:MAX_PER_CHECKPOINT]:
        body = Text()
        body.append(f.id, style="bold")
        if f.count and f.count > 1:
            body.append(f" ×{f.count}", style="bold")
        body.append("  ")
        body.append(_place(f), style="blue")
        if f.also:
            body.append(f" (+{len(f.also)} identical: {', '.join(f.also[:2])}"
                        + (" …" if len(f.also) > 2 else "") + ")", style="blue")
        body.append("\n")
        body.append(f.message)
        evidence = f.shown_evidence(show_pii)
        if evidence:
            body.append("\n")
            body.append("evidence: ", style="dim")
            body.append(evidence)
        if f.remediation:
            body.append("\n")
            body.append("fix: ", style="green")
            body.append(f.remediation)
        table.add_row(Text(f.severity.value.upper(), style=SEVERITY_STYLE[f.severity]), body)
    if len(findings) > MAX_PER_CHECKPOINT:
        table.add_row(
            Text(""),
            Text(f"… and {len(findings) - MAX_PER_CHECKPOINT} more (use --format json)",
                 style="dim"),
        )
    return table


def fix_first(assessment: Assessment) -> list[tuple[Finding, list[tuple[str, str]]]]:
    """At most ten findings to fix first, each with the artifacts it holds
    back: first what keeps an artifact closed, then what gates one, then by
    severity and by how many places it covers."""
    from ..policy import tier_rank

    ranked = []
    for f in assessment.findings:
        holds = assessment.recommendation.holds_back(f)
        if not holds and f.severity < Severity.MEDIUM:
            continue
        strongest = tier_rank(holds[0][1]) if holds else 0
        ranked.append(((-strongest, -f.severity.rank, -(f.count or 1), f.sort_key()), f, holds))
    ranked.sort(key=lambda item: item[0])
    return [(f, holds) for _, f, holds in ranked[:MAX_FIX_FIRST]]


def _fix_first_rows(items: list[tuple[Finding, list[tuple[str, str]]]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    table.add_column("n", no_wrap=True, justify="right", width=3)
    table.add_column("severity", no_wrap=True, width=9)
    table.add_column("what", overflow="fold")
    for number, (f, holds) in enumerate(items, start=1):
        body = Text()
        body.append(f.id, style="bold")
        body.append("  ")
        body.append(_place(f), style="blue")
        if f.also:
            body.append(f" (+{len(f.also)} identical)", style="blue")
        body.append("\n")
        body.append(f.message)
        if holds:
            body.append("\n")
            body.append("holds back: ", style="dim")
            body.append(", ".join(f"{artifact} {tier}" for artifact, tier in holds))
        if f.remediation:
            body.append("\n")
            body.append("fix: ", style="green")
            body.append(f.remediation)
        table.add_row(Text(f"{number}."), Text(f.severity.value.upper(),
                                               style=SEVERITY_STYLE[f.severity]), body)
    return table


def _bullets(mark: str, items: list[str]) -> Table:
    # A grid keeps wrapped lines indented under their bullet.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(mark, Text(item))
    return grid


def _artifact_panel(name: str, decision, declared: str | None) -> Panel:
    lines: list = []
    title = Text()
    title.append(f" {name} ", style="bold")
    title.append(decision.tier.upper(), style=TIER_STYLE[decision.tier])
    title.append(f" · keep {decision.retention} ")
    if declared:
        lines.append(Text(f"declared: {declared}", style="dim"))
    if decision.reasons:
        lines.append(Text("why:", style="bold"))
        lines.append(_bullets("•", decision.reasons))
    else:
        lines.append(Text("nothing in the policy stops an open release", style="green"))
    if decision.to_lower:
        lines.append(Text("to release more openly:", style="bold"))
        lines.append(_bullets("→", decision.to_lower))
    if decision.retention_reason:
        lines.append(Text(f"retention {decision.retention}: {decision.retention_reason}",
                          style="dim"))
    return Panel(Group(*lines), title=title, title_align="left", box=box.ROUNDED,
                 border_style=TIER_STYLE[decision.tier].replace("bold ", ""))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "none stated"


def _composition_rows(summary: dict) -> Group:
    """The dataset composition summary: counts to reflect on, not a verdict.
    It holds no names and no caption text (composition.py); the wording is
    the one the release card and the HTML page use (composition_view)."""
    from . import composition_view

    table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, cell in composition_view.rows(
            summary, str, lambda counts, _from_bundle: _counts(counts) if counts else "none"):
        table.add_row(label, Text(cell))
    lines = [table]
    for note in composition_view.notes(summary):
        lines.append(Text(f"  {note}", style="yellow" if note.startswith("Capped") else "dim"))
    lines.append(Text(f"  {composition_view.VERDICT}", style="dim"))
    return Group(*lines)


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The report as text, with ANSI colour only when ``options.color``."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="auto" if options.color else None,
        width=options.width or 100,
        highlight=False,
        emoji=False,
    )
    inv = assessment.inventory
    config = assessment.config
    from .. import __version__

    head = Text()
    head.append(f"aiart-release {__version__}", style="bold")
    head.append(" · ")
    head.append(assessment.bundle_path, style="blue")
    console.print(head)
    artifacts = ", ".join(inv.artifacts_present()) or "none"
    console.print(Text(
        f"Bundle    {len(inv.files)} files · {human_size(inv.total_bytes)} · "
        f"{inv.skipped} skipped · artifacts: {artifacts}"
    ))
    declared = config.declared()
    if declared:
        release = declared.get("release")
        release_text = (release if isinstance(release, str)
                        else ", ".join(f"{k} {v}" for k, v in (release or {}).items()))
        parts = [f"release {release_text}" if release else "release not declared"]
        if "commercial" in declared:
            parts.append("commercial use " + ("yes" if declared["commercial"] else "no"))
        console.print(Text("Declared  " + " · ".join(parts)))
    else:
        console.print(Text("Declared  nothing (add aiart-release.yaml: release, commercial)",
                           style="dim"))
    if assessment.device_note:
        console.print(Text(f"Device    {assessment.device_note}", style="dim"))

    first = fix_first(assessment)
    console.print()
    console.print(Rule(Text("What to fix first", style="bold"), align="left", style="dim"))
    if first:
        console.print(_fix_first_rows(first))
    else:
        console.print(Text("  ✓ nothing holds the release back", style="green"))

    checkpoints_with_checks = {
        cp for c in assessment.registry.checks.values() for cp in c.checkpoints
    }
    by_checkpoint: dict[Checkpoint, list[Finding]] = {cp: [] for cp in Checkpoint}
    for f in assessment.findings:
        by_checkpoint[f.checkpoint or Checkpoint.PUBLISHING].append(f)
    for checkpoint in Checkpoint:
        console.print()
        console.print(Rule(Text(checkpoint.title, style="bold"), align="left", style="dim"))
        found = by_checkpoint[checkpoint]
        if found:
            console.print(_finding_rows(found, options.show_pii))
        elif checkpoint in checkpoints_with_checks:
            console.print(Text("  ✓ nothing found", style="green"))
        else:
            console.print(Text("  · no installed check covers this checkpoint yet", style="dim"))

    composition = getattr(assessment, "composition", None)
    if composition is not None:
        console.print()
        console.print(Rule(Text("Dataset composition", style="bold"), align="left", style="dim"))
        console.print(_composition_rows(composition))

    if assessment.scenarios:
        console.print()
        console.print(Rule(Text("Who might misuse this, and how", style="bold"), align="left",
                           style="dim"))
        for s in assessment.scenarios:
            line = Text()
            line.append(f"{s['id']}", style="bold")
            line.append(f"  {s['title']}  (likelihood {s['likelihood']}, impact {s['impact']})")
            console.print(line)
            for because in s.get("because", []):
                console.print(Text(f"    because {because}", style="dim"))
            for m in s.get("mitigations", []):
                console.print(Text(f"    → {m}"))
            for done in s.get("in_place", []):
                because = "; ".join(done.get("because", [])[:2])
                console.print(Text(f"    ✓ {done['mitigation']} (in place: {because})",
                                   style="green"))
            if s.get("relaxed_from"):
                now = ", ".join(f"{a} {t}" for a, t in s.get("min_tier", {}).items())
                was = ", ".join(f"{a} {t}" for a, t in s["relaxed_from"].items())
                console.print(Text(f"    every mitigation it can check is in place: lowest tier "
                                   f"{now} (was {was})", style="green"))

    console.print()
    console.print(Rule(Text("Recommendation", style="bold"), align="left", style="dim"))
    for name, decision in assessment.recommendation.artifacts.items():
        console.print(_artifact_panel(name, decision, config.release.get(name)))

    counts = {s: 0 for s in reversed(list(Severity))}
    for f in assessment.findings:
        counts[f.severity] += 1
    summary = Text()
    summary.append("Findings  ")
    summary.append(" · ".join(f"{n} {s.value}" for s, n in counts.items() if n) or "none")
    accepted = getattr(assessment, "suppressed", [])
    if accepted:
        summary.append(f" · {len(accepted)} accepted (not counted; --format json lists them)",
                       style="dim")
    console.print(summary)
    for s in accepted:
        # Accepted, yet never out of sight: a critical finding stays on the report.
        if s.finding.severity >= Severity.CRITICAL:
            console.print(Text(f"Accepted  {s.finding.id} · {_place(s.finding)} "
                               f"({s.kind}: {s.justification})", style="yellow"))
    overall = assessment.recommendation.overall
    verdict = Text()
    verdict.append("Overall   ")
    verdict.append(overall.upper(), style=TIER_STYLE[overall])
    if options.gate:
        verdict.append("  ✗ fails the gate: ", style="bold red")
        verdict.append("; ".join(options.gate))
    else:
        verdict.append("  ✓ passes the gate", style="green")
    console.print(verdict)
    # Table padding leaves trailing spaces; they only clutter logs and files.
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))
