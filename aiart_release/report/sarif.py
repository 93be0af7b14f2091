"""``--format sarif``: the assessment as a SARIF 2.1.0 log, for code scanning
(GitHub's ``upload-sarif``, GitLab, Azure DevOps), validated in the tests
against the official OASIS schema.

One run, one rule per finding id present, one result per finding:

- **Rules** say what the id means (from the ``findings`` map of the check
  that reports it) and how to fix it (the remediation its findings carry),
  with GitHub's ``security-severity`` for the worst severity seen.
- **Results** point at the file (a bundle-relative URI under
  ``%SRCROOT%``) and its line where there is one; a table row, a field, a
  notebook cell, the other lines and the other files holding the same
  content go in the result's property bag (and ``relatedLocations``).
- **partialFingerprints** are the finding's fingerprint: a hash of the id,
  the path and the matched value, never of a line or a row, so code
  scanning keeps an alert open, not a new one, when lines move.
- **Levels:** critical and high are ``error``, medium ``warning``, low and
  info ``note``.

Every text comes from the finding's JSON form (``Finding.to_dict``), so the
evidence is masked exactly as in ``--format json``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..findings import Severity
from . import ReportOptions

if TYPE_CHECKING:
    from ..assessment import Assessment

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "aiartReleaseFingerprint/v1"
# The root the result URIs are relative to: code scanning resolves it to the
# repository root (run the tool on the repository's root folder).
SOURCE_ROOT = "%SRCROOT%"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads a rule's "security-severity" (0.1 to 10) and
# shows critical from 9.0, high from 7.0, medium from 4.0, low below.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.1",
}
# Places beyond the first a result lists as related locations; every one of
# them stays in its properties (as in the JSON).
MAX_RELATED = 50


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The assessment as a SARIF 2.1.0 log (masked unless ``--show-pii``)."""
    findings = [(f, f.to_dict(show_pii=options.show_pii)) for f in assessment.findings]
    # Accepted findings are results too, marked suppressed: code scanning
    # shows them as dismissed, with the justification.
    findings += [(s.finding, s.to_dict(show_pii=options.show_pii))
                 for s in getattr(assessment, "suppressed", ())]
    rules = _rules(assessment, findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    run = {
        "tool": {"driver": {
            "name": "aiart-release",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "invocations": [_invocation(assessment, options)],
        "results": [_result(data, index[data["id"]]) for _, data in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {"recommendation": {
            "overall": assessment.recommendation.overall,
            "artifacts": {name: decision.tier
                          for name, decision in assessment.recommendation.artifacts.items()},
        }},
    }
    log = {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# --- rules ---------------------------------------------------------------------

def _meanings(assessment: Assessment) -> dict[str, str]:
    """What each finding id means, from the checks' ``findings`` maps (the
    first check to describe an id wins, as the first registered does)."""
    meanings: dict[str, str] = {}
    for check in assessment.registry.checks.values():
        for finding_id, meaning in check.findings.items():
            meanings.setdefault(finding_id, meaning)
    return meanings


def _rules(assessment: Assessment, findings: list) -> list[dict[str, Any]]:
    meanings = _meanings(assessment)
    by_id: dict[str, list] = {}
    for finding, data in findings:
        by_id.setdefault(finding.id, []).append((finding, data))
    return [_rule(finding_id, meanings.get(finding_id), by_id[finding_id])
            for finding_id in sorted(by_id)]


def _rule(finding_id: str, meaning: str | None, group: list) -> dict[str, Any]:
    worst, data = max(group, key=lambda pair: pair[0].severity.rank)
    # An id no check describes (the engine's own bundle.* and plugin.*): its
    # first message says what happened.
    description = _sentence(meaning or data["message"])
    fixes = list(dict.fromkeys(d["remediation"] for _, d in group if d["remediation"]))
    help_text = description + "".join(f"\nFix: {fix}" for fix in fixes)
    help_markdown = f"**{description}**\n\n" + "\n".join(f"- Fix: {fix}" for fix in fixes) + (
        f"\n\nSee `{finding_id}` in the aiart-release findings reference (docs/findings.md).")
    namespace = finding_id.split(".", 1)[0]
    return {
        "id": finding_id,
        "name": _rule_name(finding_id),
        "shortDescription": {"text": description},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVEL[worst.severity]},
        "properties": {
            "tags": sorted({"security", namespace, *(d["checkpoint"] for _, d in group
                                                     if d["checkpoint"])}),
            "security-severity": SECURITY_SEVERITY[worst.severity],
            "precision": "high" if worst.confidence >= 0.9 else "medium",
        },
    }


def _rule_name(finding_id: str) -> str:
    """``secret.huggingface-token`` -> ``SecretHuggingfaceToken``."""
    return "".join(word.capitalize() for word in re.split(r"[.\-_]", finding_id) if word)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


# --- results -------------------------------------------------------------------

def _result(data: dict[str, Any], rule_index: int) -> dict[str, Any]:
    location = data["location"]
    severity = Severity(data["severity"])
    result: dict[str, Any] = {
        "ruleId": data["id"],
        "ruleIndex": rule_index,
        "level": LEVEL[severity],
        "message": {"text": _message(data)},
        "locations": [_physical(location["path"], location.get("line"))],
        "partialFingerprints": {FINGERPRINT_KEY: data["fingerprint"].removeprefix("sha256:")},
        "properties": _properties(data),
    }
    related = _related(data)
    if related:
        result["relatedLocations"] = related
    if "suppression" in data:
        accepted = data["suppression"]
        result["suppressions"] = [{
            "kind": "inSource" if accepted["kind"] == "inline" else "external",
            "status": "accepted",
            "justification": accepted["justification"],
        }]
    return result


def _message(data: dict[str, Any]) -> str:
    text = data["message"]
    if data.get("evidence"):
        text += f" (evidence: {data['evidence']})"
    return text


def _physical(path: str, line: int | None, message: str | None = None,
              number: int | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": {
        "artifactLocation": {"uri": _uri(path), "uriBaseId": SOURCE_ROOT}}}
    if line is not None and line >= 1:
        location["physicalLocation"]["region"] = {"startLine": line}
    if number is not None:
        location["id"] = number
    if message:
        location["message"] = {"text": message}
    return location


def _uri(path: str) -> str:
    """A bundle-relative path as a relative URI reference: the characters a
    URI may not hold are percent-encoded; ``/`` stays. The bundle root is
    ``.``, which names the folder itself."""
    from urllib.parse import quote

    return quote(path if path != "." else "./", safe="/")


def _related(data: dict[str, Any]) -> list[dict[str, Any]]:
    location = data["location"]
    places = [(location["path"], line, f"also line {line}")
              for line in (location.get("lines") or [])[1:]]
    places += [(path, None, "the same content") for path in data.get("also", [])]
    return [_physical(path, line, message, number)
            for number, (path, line, message) in enumerate(places[:MAX_RELATED], start=1)]


def _properties(data: dict[str, Any]) -> dict[str, Any]:
    """What SARIF has no place for: where in a table, a notebook or a
    document, how sure, which artifact. Never part of the fingerprint."""
    location = data["location"]
    properties: dict[str, Any] = {
        "severity": data["severity"],
        "confidence": data["confidence"],
        "check": data["check"],
        "checkpoint": data["checkpoint"],
        "artifact": data["artifact"],
        "remediation": data["remediation"],
    }
    for key in ("row", "rows", "field", "lines"):
        if key in location:
            properties[key] = location[key]
    for key in ("context", "evidence", "count", "also", "references"):
        if data.get(key):
            properties[key] = data[key]
    return properties


# --- the invocation --------------------------------------------------------------

def _invocation(assessment: Assessment, options: ReportOptions) -> dict[str, Any]:
    """Whether every check ran, and the exit code the gate gives (0 passed,
    1 failed; a failed plugin under ``--strict`` exits 3, which the report
    cannot know: see ``executionSuccessful``)."""
    failed = [f for f in assessment.findings
              if f.id.startswith("plugin.") and f.id != "plugin.check-skipped"]
    invocation: dict[str, Any] = {
        "executionSuccessful": not failed,
        "exitCode": 1 if options.gate else 0,
        "exitCodeDescription": ("gate failed: " + "; ".join(options.gate) if options.gate
                                else "gate passed"),
    }
    if failed:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f.message},
             "descriptor": {"id": f.id},
             "locations": [_physical(f.location.path, f.location.line)]}
            for f in failed]
    if options.fail_on:
        invocation["properties"] = {"failOn": options.fail_on}
    return invocation
