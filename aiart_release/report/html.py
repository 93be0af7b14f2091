"""``--format html``: one self-contained page a person can look at.

The page makes no network request: its CSS and script are inline, its charts
are SVG drawn here, and a Content-Security-Policy (``default-src 'none'``,
the style and script allowed by their hashes only) makes the browser refuse
anything else, should a later edit add it. The only links are the findings'
and scenarios' references, as plain ``<a href>`` to http(s) pages: following
one is the reader's choice, not a request the page makes.

What it shows is what ``--format json`` says: the findings (already through
the masking gate, their evidence masked exactly as in the JSON, since both
are read from ``Assessment.to_dict``), the scenarios and the recommendation.
From the inventory and the facts it shows counts and catalogue codes only
(file kinds, sizes, licence ids the licence catalogue knows, modalities),
never a path or a value taken from the bundle. The dataset composition
section shows what the terminal and the JSON show of it (composition.py):
counts, hosts and licence ids, never a name, a URL's path, free-text
licence or caption text. Every text is escaped.

The filters (severity, artifact) are a small script; without it every
finding is visible. ``#severity=high&artifact=dataset`` in the URL preselects
them.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from html import escape
from typing import TYPE_CHECKING, Any

from ..bundle import KINDS
from ..composition import PLACEHOLDERS
from ..findings import Checkpoint, Finding, Severity
from ..sizes import human_size
from . import ReportOptions, composition_view
from .terminal import _place as terminal_place
from .terminal import fix_first

if TYPE_CHECKING:
    from ..assessment import Assessment

SEVERITIES = [s.value for s in reversed(list(Severity))]  # critical first
TIERS = ("open", "gated", "closed")
MODALITIES = ("image", "audio", "video", "text", "3d")


def esc(value: Any) -> str:
    """Any value as HTML text, quotes included (safe in attributes too)."""
    return escape(str(value), quote=True)


_STYLE = """
:root{--critical:#8b0000;--high:#d62728;--medium:#e6a100;--low:#1f77b4;--info:#8c8c8c;
--open:#2ca02c;--gated:#d98b00;--closed:#c0392b;--ink:#1d1d1f;--muted:#5f6368;--line:#e3e3e3}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
margin:0 auto;max-width:1100px;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;
border-bottom:1px solid var(--line);padding-bottom:.25rem}h3{font-size:1rem;margin:.5rem 0}
.muted{color:var(--muted)}.meta{margin:.2rem 0}
[hidden]{display:none!important}
.badge{display:inline-block;border-radius:.3rem;padding:.05rem .45rem;font-weight:600;
font-size:.8rem;color:#fff;text-transform:uppercase;letter-spacing:.02em;white-space:nowrap}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}
.sev-medium{background:var(--medium);color:#222}.sev-low{background:var(--low)}
.sev-info{background:var(--info)}
.tier-open{background:var(--open)}.tier-gated{background:var(--gated);color:#222}
.tier-closed{background:var(--closed)}
.artifacts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:.75rem}
.artifact{border:1px solid var(--line);border-radius:.5rem;padding:.75rem}
.artifact h3{display:flex;gap:.5rem;align-items:center}
.artifact ul{margin:.25rem 0 .5rem 1.1rem;padding:0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
figure{margin:0;border:1px solid var(--line);border-radius:.5rem;padding:.75rem}
figcaption{font-weight:600;margin-bottom:.4rem}
svg text{font:12px system-ui,sans-serif;fill:var(--ink)}
.legend{display:flex;flex-wrap:wrap;gap:.25rem .75rem;font-size:.8rem;margin-top:.3rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:.15rem;
vertical-align:-.1rem;margin-right:.25rem}
.c-critical{fill:var(--critical);background:var(--critical)}
.c-high{fill:var(--high);background:var(--high)}
.c-medium{fill:var(--medium);background:var(--medium)}
.c-low{fill:var(--low);background:var(--low)}.c-info{fill:var(--info);background:var(--info)}
.c-0{fill:#4e79a7;background:#4e79a7}.c-1{fill:#f28e2b;background:#f28e2b}
.c-2{fill:#59a14f;background:#59a14f}.c-3{fill:#e15759;background:#e15759}
.c-4{fill:#76b7b2;background:#76b7b2}.c-5{fill:#edc948;background:#edc948}
.c-6{fill:#b07aa1;background:#b07aa1}.c-7{fill:#ff9da7;background:#ff9da7}
.c-8{fill:#9c755f;background:#9c755f}.c-9{fill:#bab0ac;background:#bab0ac}
.c-10{fill:#17becf;background:#17becf}.c-11{fill:#bcbd22;background:#bcbd22}
.c-12{fill:#7f7f7f;background:#7f7f7f}.c-13{fill:#393b79;background:#393b79}
.filters{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);
padding:.5rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:center;z-index:1}
table{border-collapse:collapse;width:100%}
td,th{border-top:1px solid var(--line);padding:.4rem .5rem;vertical-align:top;text-align:left}
th{font-size:.8rem;color:var(--muted);font-weight:600}
td.what{overflow-wrap:anywhere}
table.composition{margin-top:.75rem}#composition figure{max-width:560px}
.composition th{white-space:nowrap;width:1%}.composition td{overflow-wrap:anywhere}
code,.evidence{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
.fix{color:#185c1c}.place{color:#1a4f8b;overflow-wrap:anywhere}
.scenario{border:1px solid var(--line);border-radius:.5rem;padding:.75rem;margin:.5rem 0}
.scenario ul{margin:.25rem 0 .5rem 1.1rem;padding:0}
.in-place{color:#185c1c}.remaining{color:#8a4b00}
.chips span{display:inline-block;border:1px solid var(--line);border-radius:1rem;
padding:0 .5rem;margin:0 .25rem .25rem 0;font-size:.85rem}
.fix-first li{margin:.35rem 0}
@media print{.filters{display:none!important}}
"""

_SCRIPT = """
(function () {
  "use strict";
  var RANK = {info: 0, low: 1, medium: 2, high: 3, critical: 4};
  var bar = document.getElementById("filters");
  var severity = document.getElementById("filter-severity");
  var artifact = document.getElementById("filter-artifact");
  var counter = document.getElementById("filter-count");
  function hasOption(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { return true; }
    }
    return false;
  }
  function fromHash() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var s = params.get("severity"), a = params.get("artifact");
    if (s !== null && hasOption(severity, s)) { severity.value = s; }
    if (a !== null && hasOption(artifact, a)) { artifact.value = a; }
  }
  function toHash() {
    var params = new URLSearchParams();
    if (severity.value) { params.set("severity", severity.value); }
    if (artifact.value) { params.set("artifact", artifact.value); }
    var text = params.toString();
    try { history.replaceState(null, "", text ? "#" + text : window.location.pathname); }
    catch (e) { /* a file: URL may refuse; the filter still applies */ }
  }
  function apply() {
    var least = severity.value ? RANK[severity.value] : 0;
    var only = artifact.value;
    var shown = 0, total = 0;
    document.querySelectorAll("section.checkpoint").forEach(function (section) {
      var here = 0, rows = section.querySelectorAll("tr.finding");
      rows.forEach(function (row) {
        var keep = RANK[row.getAttribute("data-severity")] >= least &&
                   (!only || row.getAttribute("data-artifact") === only);
        row.hidden = !keep;
        if (keep) { here++; }
      });
      var none = section.querySelector(".none-match");
      if (none) { none.hidden = here > 0 || rows.length === 0; }
      shown += here; total += rows.length;
    });
    counter.textContent = shown + " of " + total + " findings shown";
    document.documentElement.setAttribute("data-filtered", severity.value + "|" + only);
  }
  bar.hidden = false;
  fromHash();
  apply();
  severity.addEventListener("change", function () { toHash(); apply(); });
  artifact.addEventListener("change", function () { toHash(); apply(); });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
})();
"""


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# Nothing may load: no fetch, image, font, frame or form target; only the
# page's own style and script, named by their hashes.
CSP = (f"default-src 'none'; style-src {_csp_hash(_STYLE)}; script-src {_csp_hash(_SCRIPT)}; "
       "img-src 'none'; base-uri 'none'; form-action 'none'")


# --- charts -------------------------------------------------------------------

def _bar_chart(title: str, rows: list[tuple[str, list[tuple[str, str, float]]]],
               legend: list[tuple[str, str]], total_label=str) -> str:
    """A horizontal stacked bar chart as inline SVG. ``rows`` holds
    ``(label, [(css_class, segment_name, value), ...])``; each segment has a
    tooltip; the total is written at the end of its bar."""
    label_width, bar_width, row_height, pad = 150, 300, 26, 70
    biggest = max((sum(v for _, _, v in segs) for _, segs in rows), default=0) or 1
    height = row_height * max(len(rows), 1) + 6
    # width 100% and a viewBox: the chart scales to its column, text and all.
    parts = [f'<svg role="img" width="100%" '
             f'viewBox="0 0 {label_width + bar_width + pad} {height}" '
             f'aria-label="{esc(title)}"><title>{esc(title)}</title>']
    if not rows:
        parts.append('<text x="0" y="18" class="muted">nothing to show</text>')
    for index, (label, segments) in enumerate(rows):
        y = index * row_height + 4
        parts.append(f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end">'
                     f'{esc(_short(label))}</text>')
        x = float(label_width)
        total = 0.0
        for css, name, value in segments:
            if value <= 0:
                continue
            width = max(value / biggest * bar_width, 1.5)
            parts.append(f'<rect class="{esc(css)}" x="{x:.1f}" y="{y}" width="{width:.1f}" '
                         f'height="{row_height - 8}"><title>{esc(label)} · {esc(name)}: '
                         f'{esc(total_label(value))}</title></rect>')
            x += width
            total += value
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 14}">{esc(total_label(total))}</text>')
    parts.append("</svg>")
    keys = "".join(f'<span><span class="swatch {esc(css)}"></span>{esc(name)}</span>'
                   for css, name in legend)
    return (f'<figure><figcaption>{esc(title)}</figcaption>{"".join(parts)}'
            f'<div class="legend">{keys}</div></figure>')


# Characters of a bar's label that fit left of the bar; its tooltip has all.
MAX_LABEL = 22


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def _count(value: float) -> str:
    return str(int(value))


def _findings_chart(findings: list[dict[str, Any]]) -> str:
    tally: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        tally[f.get("checkpoint") or Checkpoint.PUBLISHING.value][f["severity"]] += 1
    rows = [(cp.title, [(f"c-{s}", s, tally[cp.value][s]) for s in SEVERITIES])
            for cp in Checkpoint]
    legend = [(f"c-{s}", s) for s in SEVERITIES]
    return _bar_chart("Findings per checkpoint and severity", rows, legend, _count)


def _kind_charts(assessment: Assessment) -> str:
    """Files and bytes per artifact, by kind: counts from the inventory
    (kinds and artifacts are the tool's own codes, never a path)."""
    files: dict[str, Counter] = defaultdict(Counter)
    sizes: dict[str, Counter] = defaultdict(Counter)
    for f in assessment.inventory.files:
        files[f.artifact][f.kind] += 1
        sizes[f.artifact][f.kind] += f.size
    kinds = [k for k in KINDS if any(files[a][k] for a in files)]
    css = {k: f"c-{KINDS.index(k)}" for k in KINDS}
    artifacts = sorted(files)
    legend = [(css[k], k) for k in kinds]
    by_count = [(a, [(css[k], k, files[a][k]) for k in kinds]) for a in artifacts]
    by_size = [(a, [(css[k], k, sizes[a][k]) for k in kinds]) for a in artifacts]
    return (_bar_chart("Files per artifact, by kind", by_count, legend, _count)
            + _bar_chart("Size per artifact, by kind", by_size, legend,
                         lambda v: human_size(int(v))))


def _known_licence(licence: Any) -> str | None:
    """The licence id when the licence catalogue knows it; None otherwise
    (an id the bundle made up is bundle text, and is not shown)."""
    from ..license_catalog import info

    if not isinstance(licence, str) or not licence.strip():
        return None
    found = info(licence.strip())
    return found.id if found.known else None


def _licence_chart(assessment: Assessment) -> str:
    values = assessment.facts.values
    per_artifact = values.get("license_of") or {}
    stated: dict[str, list[str]] = defaultdict(list)  # licence -> artifacts
    unknown = Counter()
    if isinstance(per_artifact, dict):
        for artifact, licences in sorted(per_artifact.items()):
            for licence in licences if isinstance(licences, list) else []:
                known = _known_licence(licence)
                if known is None:
                    unknown[str(artifact)] += 1
                elif artifact not in stated[known]:
                    stated[known].append(str(artifact))
    for licence in values.get("licenses") or []:  # stated, but for no artifact in particular
        known = _known_licence(licence)
        if known is not None and known not in stated:
            stated[known] = []
    artifacts = sorted({a for names in stated.values() for a in names} | set(unknown))
    css = {a: f"c-{i % 14}" for i, a in enumerate(artifacts)}
    rows = [(licence, [(css[a], a, 1) for a in names] or [("c-12", "the bundle", 1)])
            for licence, names in sorted(stated.items())]
    if unknown:
        rows.append(("(not in the catalogue)",
                     [(css[a], a, n) for a, n in sorted(unknown.items())]))
    legend = [(css[a], a) for a in artifacts]
    if any(not names for names in stated.values()):
        legend.append(("c-12", "the bundle (no artifact named)"))
    return _bar_chart("Licences stated, by artifact", rows, legend,
                      lambda v: f"{int(v)} artifact" + ("s" if int(v) != 1 else ""))


def _modalities(assessment: Assessment) -> str:
    found = assessment.facts.values.get("modality") or []
    shown = [m for m in MODALITIES if m in found]
    chips = "".join(f"<span>{esc(m)}</span>" for m in shown) or '<span>none found</span>'
    return f'<p><strong>Modalities:</strong> <span class="chips">{chips}</span></p>'


def _composition_licence_chart(licences: dict[str, int]) -> str:
    """Dataset items per licence (composition.py): a licence stated in one
    colour, none stated, free text or the rest in grey."""
    stated, other = ("c-0", "licence id stated"), ("c-12", "none stated, free text, or other")
    rows = [(name, [(*(other if name in PLACEHOLDERS else stated), n)])
            for name, n in licences.items()]
    legend = [stated, other]
    return _bar_chart("Dataset items per licence", rows, legend,
                      lambda v: f"{int(v)} item" + ("s" if int(v) != 1 else ""))


def _counts(counts: dict[str, int], from_bundle: bool = True) -> str:
    """``name n, …``, escaped; the summary's own names ("(none stated)") in
    grey. Hosts, licence ids and terms alike are escaped text here, so
    ``from_bundle`` (composition_view.CountsCell) changes nothing."""
    return ", ".join(
        (f'<span class="muted">{esc(name)}</span>' if name in PLACEHOLDERS else esc(name))
        + f" {int(n)}" for name, n in counts.items()) or '<span class="muted">none</span>'


def _composition(assessment: Assessment) -> str:
    """The dataset composition summary: the facts the terminal shows, as a
    table (composition_view), and the items per licence as a chart when a
    manifest lists items."""
    summary = composition_view.shown(assessment)
    if summary is None:
        return ""
    chart = (f'<div class="charts">{_composition_licence_chart(summary["licenses"])}</div>'
             if summary["items"] else "")
    table = "".join(f'<tr><th scope="row">{label}</th><td>{cell}</td></tr>'
                    for label, cell in composition_view.rows(summary, esc, _counts))
    notes = "".join(f'<p class="muted">{esc(note)}</p>'
                    for note in composition_view.notes(summary))
    return ('<section id="composition"><h2>Dataset composition</h2>'
            f'<p class="muted">{esc(composition_view.VERDICT)}</p>{chart}'
            f'<table class="composition"><tbody>{table}</tbody></table>{notes}</section>')


# --- sections -----------------------------------------------------------------

def _badge(kind: str, value: str) -> str:
    return f'<span class="badge {kind}-{esc(value)}">{esc(value)}</span>'


def _list(items: list[Any], css: str = "") -> str:
    if not items:
        return ""
    attr = f' class="{css}"' if css else ""
    return f"<ul{attr}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def _header(data: dict[str, Any], options: ReportOptions) -> str:
    bundle, declared = data["bundle"], data.get("declared") or {}
    overall = data["recommendation"]["overall"]
    release = declared.get("release")
    if isinstance(release, dict):
        release = ", ".join(f"{a} {t}" for a, t in release.items())
    said = [f"release {release}" if release else "release not declared"]
    if "commercial" in declared:
        said.append("commercial use " + ("yes" if declared["commercial"] else "no"))
    verdict = ("fails the gate: " + "; ".join(options.gate)) if options.gate \
        else "passes the gate"
    return (f"<header><h1>Release assessment · {esc(bundle['path'])}</h1>"
            f'<p class="meta">Overall {_badge("tier", overall)} · {esc(verdict)}</p>'
            f'<p class="meta muted">{esc(bundle["files"])} files · '
            f'{esc(human_size(int(bundle["bytes"])))} · {esc(bundle["skipped"])} skipped · '
            f'declared: {esc(" · ".join(said))}</p></header>')


def _artifacts(data: dict[str, Any]) -> str:
    cards = []
    for name, d in data["recommendation"]["artifacts"].items():
        reasons = _list(d.get("reasons", [])) or \
            '<p class="muted">nothing in the policy stops an open release</p>'
        to_lower = d.get("to_lower", [])
        lower = f"<p><strong>To release more openly:</strong></p>{_list(to_lower)}" \
            if to_lower else ""
        retention = esc(d.get("retention", ""))
        why_keep = d.get("retention_reason")
        keep = f'<p class="muted">Keep {retention}' + \
            (f": {esc(why_keep)}" if why_keep else "") + "</p>"
        cards.append(f'<div class="artifact" id="artifact-{esc(name)}"><h3>{esc(name)} '
                     f'{_badge("tier", d["tier"])}<span class="muted">keep {retention}</span>'
                     f"</h3><p><strong>Why:</strong></p>{reasons}{lower}{keep}</div>")
    return ('<section id="recommendation"><h2>Recommendation per artifact</h2>'
            f'<div class="artifacts">{"".join(cards)}</div></section>')


def _fix_first(assessment: Assessment) -> str:
    """The terminal's "what to fix first": what keeps an artifact closed,
    then what gates one, then by severity."""
    items = []
    for finding, holds in fix_first(assessment):
        held = ", ".join(f"{artifact} {tier}" for artifact, tier in holds)
        items.append(
            f"<li>{_badge('sev', finding.severity.value)} <code>{esc(finding.id)}</code> "
            f'<span class="place">{esc(terminal_place(finding))}</span>'
            f"<div>{esc(finding.message)}</div>"
            + (f'<div class="muted">holds back: {esc(held)}</div>' if held else "")
            + (f'<div class="fix"><strong>fix:</strong> {esc(finding.remediation)}</div>'
               if finding.remediation else "") + "</li>")
    body = f'<ol class="fix-first">{"".join(items)}</ol>' if items else \
        '<p class="in-place">✓ nothing holds the release back</p>'
    return f'<section id="fix-first"><h2>What to fix first</h2>{body}</section>'


def _reference(url: Any) -> str:
    """A link when it is an http(s) address (escaped); plain text otherwise."""
    text = str(url)
    if text.lower().startswith(("https://", "http://")):
        return f'<a href="{esc(text)}" rel="noopener noreferrer">{esc(text)}</a>'
    return esc(text)


def _finding_row(finding: Finding, f: dict[str, Any]) -> str:
    """One finding: ``f`` is its JSON form (masked as the JSON is), ``finding``
    the same finding, for the place as the terminal writes it."""
    what = [f"<code>{esc(f['id'])}</code>"
            + (f" ×{esc(f['count'])}" if (f.get("count") or 1) > 1 else ""),
            f'<div>{esc(f["message"])}</div>']
    if f.get("evidence") is not None:
        what.append(f'<div><span class="muted">evidence:</span> '
                    f'<span class="evidence">{esc(f["evidence"])}</span></div>')
    if f.get("remediation"):
        what.append(f'<div class="fix"><strong>fix:</strong> {esc(f["remediation"])}</div>')
    if f.get("references"):
        what.append('<div class="muted">see: '
                    + ", ".join(_reference(r) for r in f["references"]) + "</div>")
    place = terminal_place(finding)
    if f.get("also"):
        place += f" (+{len(f['also'])} identical)"
    return (f'<tr class="finding" data-severity="{esc(f["severity"])}" '
            f'data-artifact="{esc(f.get("artifact") or "")}">'
            f'<td>{_badge("sev", f["severity"])}</td><td>{esc(f.get("artifact") or "")}</td>'
            f'<td class="place">{esc(place)}</td><td class="what">{"".join(what)}</td></tr>')


def _findings(findings: list[Finding], data: dict[str, Any], artifacts: list[str]) -> str:
    options = "".join(f'<option value="{esc(s)}">{esc(s)} and above</option>'
                      for s in reversed(SEVERITIES))
    choices = "".join(f'<option value="{esc(a)}">{esc(a)}</option>' for a in artifacts)
    filters = (
        '<form class="filters" id="filters" hidden>'
        '<label>Severity <select id="filter-severity"><option value="">all</option>'
        f"{options}</select></label>"
        '<label>Artifact <select id="filter-artifact"><option value="">all</option>'
        f'{choices}</select></label><span id="filter-count" class="muted"></span></form>')
    grouped: dict[str, list[tuple[Finding, dict[str, Any]]]] = defaultdict(list)
    for finding, f in zip(findings, data["findings"], strict=True):
        grouped[f.get("checkpoint") or Checkpoint.PUBLISHING.value].append((finding, f))
    sections = []
    for cp in Checkpoint:
        found = grouped[cp.value]
        if found:
            body = ('<table><thead><tr><th>severity</th><th>artifact</th><th>where</th>'
                    '<th>what</th></tr></thead><tbody>'
                    + "".join(_finding_row(*pair) for pair in found)
                    + '<tr class="none-match" hidden><td colspan="4" class="muted">'
                    "no finding here matches the filter</td></tr></tbody></table>")
        else:
            body = '<p class="muted">nothing found</p>'
        sections.append(f'<section class="checkpoint" id="checkpoint-{esc(cp.value)}">'
                        f"<h3>{esc(cp.title)} <span class=\"muted\">({len(found)})</span>"
                        f"</h3>{body}</section>")
    accepted = data.get("suppressed") or []
    note = (f'<p class="muted">{len(accepted)} accepted finding(s) are not listed '
            "(--format json lists them).</p>") if accepted else ""
    return (f'<section id="findings"><h2>Findings by checkpoint</h2>{filters}'
            f'{"".join(sections)}{note}</section>')


def _scenario(s: dict[str, Any]) -> str:
    story = s.get("scenario") or {}
    who = []
    if story.get("actor"):
        who.append(f"<strong>Who:</strong> {esc(story['actor'])}")
    if story.get("motivation"):
        motives = story["motivation"]
        who.append("<strong>Why:</strong> " + esc(", ".join(map(str, motives))
                                                  if isinstance(motives, list) else motives))
    if story.get("harm"):
        who.append(f"<strong>Harm:</strong> {esc(story['harm'])}")
    in_place = "".join(
        f"<li>✓ {esc(done.get('mitigation', ''))}"
        + (f' <span class="muted">({esc("; ".join(map(str, done.get("because", []))))})</span>'
           if done.get("because") else "") + "</li>"
        for done in s.get("in_place", []))
    remaining = _list(s.get("mitigations", []), "remaining")
    floor = ", ".join(f"{a} {t}" for a, t in (s.get("min_tier") or {}).items())
    refs = s.get("references") or []
    return (
        f'<div class="scenario" id="{esc(s.get("id", ""))}"><h3>{esc(s.get("title", ""))} '
        f'<code class="muted">{esc(s.get("id", ""))}</code></h3>'
        f'<p>likelihood <strong>{esc(s.get("likelihood", ""))}</strong> · impact '
        f'<strong>{esc(s.get("impact", ""))}</strong>'
        + (f" · lowest tier: {esc(floor)}" if floor else "") + "</p>"
        + (f'<p>{" · ".join(who)}</p>' if who else "")
        + (f'<p class="muted">Because:</p>{_list(s.get("because", []))}'
           if s.get("because") else "")
        + ("<p><strong>Mitigations still to do</strong></p>" + remaining if remaining else
           '<p class="in-place">Every mitigation it can check is in place.</p>')
        + (f'<p><strong>In place</strong></p><ul class="in-place">{in_place}</ul>'
           if in_place else "")
        + ('<p class="muted">see: ' + ", ".join(_reference(r) for r in refs) + "</p>"
           if refs else "")
        + "</div>")


def _scenarios(data: dict[str, Any]) -> str:
    scenarios = data.get("scenarios") or []
    body = "".join(_scenario(s) for s in scenarios) or \
        '<p class="muted">No misuse scenario applies.</p>'
    return f'<section id="scenarios"><h2>Who might misuse this, and how</h2>{body}</section>'


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The assessment as one self-contained HTML page (masked unless ``--show-pii``)."""
    data = assessment.to_dict(show_pii=options.show_pii)
    artifacts = sorted({f.get("artifact") for f in data["findings"] if f.get("artifact")})
    tool = data["tool"]
    charts = ('<section id="charts"><h2>At a glance</h2><div class="charts">'
              + _findings_chart(data["findings"]) + _kind_charts(assessment)
              + _licence_chart(assessment) + "</div>" + _modalities(assessment)
              + "</section>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>aiart-release · {esc(data['bundle']['path'])}</title>"
        f"<style>{_STYLE}</style></head><body>"
        + _header(data, options) + _artifacts(data) + _fix_first(assessment) + charts
        + _findings(assessment.findings, data, artifacts) + _composition(assessment)
        + _scenarios(data)
        + f'<footer><p class="muted">{esc(tool["name"])} {esc(tool["version"])} · plugins: '
        f'{esc(", ".join(tool["plugins"]))}</p></footer>'
        f"<script>{_SCRIPT}</script></body></html>\n")
