"""The real-world benchmark's scoring, on a small synthetic assessment and expectations.

No real repository and no network: the assessments are written here, and the
end-to-end test runs the benchmark against a stand-in for the CLI.
"""

from __future__ import annotations

import importlib.util
import json
import stat
import sys
import textwrap
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "realworld.py"


@pytest.fixture(scope="module")
def rw():
    spec = importlib.util.spec_from_file_location("realworld_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finding(id_, path, severity="medium", evidence="", **extra):
    return {"id": id_, "severity": severity, "location": {"path": path},
            "evidence": evidence, "message": extra.pop("message", ""), **extra}


AS_IS = {
    "findings": [
        finding("license.detected", "LICENSE", "info", "MIT"),
        finding("license.detected", "vendor/pose/LICENSE", "info", "LicenseRef-Pose-NC"),
        finding("license.detected", "data/NOTICE", "info", "CC0-1.0"),
        finding("pii.email-address", "src/model.py", "high", "a***@u**.edu"),
        finding("pii.credit-card", "data/urls.csv", "critical", "4***"),
        finding("provenance.manifest-missing", "samples/", "medium"),
        finding("sensitive.health", "src/layers.py", "low"),
    ],
    "recommendation": {"artifacts": {
        "code": {"tier": "open"}, "dataset": {"tier": "closed"}}},
}
COMMERCIAL = {"findings": AS_IS["findings"] + [
    finding("license.noncommercial-conflict", "vendor/pose/LICENSE", "high",
            "LicenseRef-Pose-NC"),
    finding("license.noncommercial-conflict", "data/urls.csv", "high", "CC-BY-NC-4.0"),
]}
EXPECT = {
    "licenses": [
        {"id": "MIT", "paths": ["LICENSE"]},
        {"id": "LicenseRef-*Pose*", "paths": ["vendor/pose*"]},
        {"id": "Apache-2.0", "paths": ["src/vendor*"]},
    ],
    "commercial_conflicts": [{"license": "*Pose*", "path": "vendor/pose*"}],
    "artifacts": {"model": {"tier": "absent"}, "code": {"tier": "open"},
                  "dataset": {"tier": "gated"}},
    "must_find": [
        {"id": "license.*", "path": "vendor/pose/LICENSE"},
        {"id": ["provenance.*", "consent.*"], "path": "data*"},
        {"id": "license.detected", "max": 2},
    ],
    "must_not_find": [
        {"id": "pii.email-address", "path": "*.py", "min_severity": "high"},
        {"id": "sensitive.*", "path": "*.py", "min_severity": "medium"},
    ],
    "actionable": [{"id": "pii.*", "path": "data*"}],
}
DEFAULTS = {"must_not_find": [{"id": "pii.credit-card"}]}


def test_globs_cross_folders_ignore_trailing_slash_and_take_lists(rw):
    f = finding("provenance.manifest-missing", "samples/", "medium")
    assert rw.matches(f, {"id": "provenance.*", "path": "samples"})
    assert rw.matches(f, {"id": ["consent.*", "provenance.*"], "path": ["x*", "sam*"]})
    assert rw.matches(finding("pii.person-name", "a/b/c.py"), {"path": "*.py"})
    assert not rw.matches(finding("pii.person-name", "a/b/c.md"), {"path": "*.py"})
    assert not rw.matches(f, {"id": "consent.*"})


def test_min_severity_and_evidence_narrow_a_pattern(rw):
    low = finding("pii.email-address", "setup.py", "low")
    assert rw.matches(low, {"id": "pii.*"})
    assert not rw.matches(low, {"id": "pii.*", "min_severity": "medium"})
    lic = finding("license.detected", "LICENSE.txt", "info", "CC-BY-NC-2.0")
    assert rw.matches(lic, {"id": "license.detected", "evidence": "*CC-BY-NC*"})
    assert not rw.matches(lic, {"id": "license.detected", "evidence": "CC0*"})


def test_merged_findings_match_on_any_of_their_paths(rw):
    merged = finding("pii.email-address", "a/README.md", "high")
    merged["also"] = ["b/notes.txt"]
    assert rw.matches(merged, {"path": "b/*"})


def test_tier_agreement_counts_absent_as_a_tier(rw):
    rows = rw.tier_agreement(EXPECT["artifacts"], AS_IS["recommendation"])
    assert [(r["artifact"], r["expected"], r["got"], r["agree"]) for r in rows] == [
        ("model", "absent", "absent", True),
        ("code", "open", "open", True),
        ("dataset", "gated", "closed", False),
    ]


def test_actionable_share_counts_only_medium_and_above(rw):
    share = rw.actionable_share(AS_IS["findings"], EXPECT["actionable"])
    # medium+: the e-mail in code (high), the card number (critical), the manifest (medium)
    assert share["medium_plus"] == 3
    assert share["actionable"] == 1
    assert share["not_actionable"] == [
        "pii.email-address src/model.py (high)", "provenance.manifest-missing samples (medium)"]


def test_must_find_reports_misses_and_too_many(rw):
    result = rw.must_find(AS_IS["findings"], EXPECT["must_find"])
    assert result["hits"] == ["license.* @ vendor/pose/LICENSE"]
    assert result["misses"] == [
        "['provenance.*', 'consent.*'] @ data*",
        "license.detected @ *: 3 findings, at most 2",
    ]


def test_must_not_find_honours_min_severity_and_defaults(rw):
    result = rw.score(EXPECT, AS_IS, COMMERCIAL, DEFAULTS)
    # the low sensitive.health in code is below its min_severity: not a violation
    assert result["must_not_find"] == [
        "pii.credit-card data/urls.csv (critical)",
        "pii.email-address src/model.py (high)",
    ]


def test_licences_found_at_scope_elsewhere_missing_and_unexpected(rw):
    lic = rw.licences(AS_IS["findings"], EXPECT["licenses"])
    assert lic["scoped"] == ["MIT", "LicenseRef-*Pose*"]
    assert lic["missing"] == ["Apache-2.0"]
    assert lic["unexpected"] == ["CC0-1.0 @ data/NOTICE"]
    elsewhere = rw.licences(AS_IS["findings"], [{"id": "MIT", "paths": ["src*"]}])
    assert elsewhere["elsewhere"] == ["MIT"]


def test_licence_ids_read_expressions_and_base_model_evidence(rw):
    f = finding("license.detected", "x", "info", "org/base: LicenseRef-Base-NC")
    assert rw.licence_ids(f) == {"LicenseRef-Base-NC"}
    assert rw.licence_ids(finding("license.detected", "x", "info", "(MIT OR Apache-2.0)")) == {
        "MIT", "Apache-2.0"}


def test_nc_conflicts_found_missed_and_unexpected(rw):
    nc = rw.nc_conflicts(COMMERCIAL["findings"], EXPECT["commercial_conflicts"]
                         + [{"license": "CC-BY-NC*", "path": "data/README.md"}])
    assert nc["found"] == ["*Pose* @ vendor/pose*"]
    assert nc["missed"] == ["CC-BY-NC* @ data/README.md"]
    assert nc["unexpected"] == ["license.noncommercial-conflict data/urls.csv (high)"]


def test_nc_conflict_on_the_expected_part_counts_and_says_the_tools_name(rw):
    expected = [{"license": "*OpenPose*", "path": "vendor/pose*"}]
    nc = rw.nc_conflicts(COMMERCIAL["findings"], expected)
    assert nc["found"] == ["*OpenPose* @ vendor/pose* (named LicenseRef-Pose-NC)"]
    assert nc["missed"] == []


def test_printed_lists_group_findings_by_id_and_severity(rw, capsys):
    rw._lines("not actionable", [
        "pii.person-name a.py (medium)", "pii.person-name b.py (medium)",
        "pii.person-name c d.py (medium)", "sensitive.minors e.py (critical)", "a plain line"])
    assert capsys.readouterr().out.splitlines() == [
        f"{'':18}not actionable: pii.person-name (medium) ×3: a.py, b.py, +1 more",
        f"{'':18}not actionable: sensitive.minors (critical) ×1: e.py",
        f"{'':18}not actionable: a plain line",
    ]


def test_totals_against_the_targets(rw):
    one = rw.score(EXPECT, AS_IS, COMMERCIAL, DEFAULTS)
    summary = rw.totals([one])
    assert summary["tiers"]["agree"] == 2 and summary["tiers"]["of"] == 3
    assert not summary["tiers"]["met"]
    assert summary["actionable"]["share"] == pytest.approx(1 / 3)
    assert summary["findings"] == {"max": 7, "met": True}
    assert one["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 3}


FAKE_CLI = """\
import json, sys
args = sys.argv[1:]
out = args[args.index("--output") + 1]
config = args[args.index("--config") + 1] if "--config" in args else None
commercial = config is not None and "commercial: true" in open(config).read()
findings = [{"id": "license.detected", "severity": "info",
             "location": {"path": "LICENSE"}, "evidence": "MIT", "message": ""}]
if commercial:
    findings.append({"id": "license.noncommercial-conflict", "severity": "high",
                     "location": {"path": "LICENSE"}, "evidence": "MIT", "message": ""})
json.dump({"findings": findings,
           "recommendation": {"artifacts": {"code": {"tier": "open"}}}}, open(out, "w"))
"""


def test_commercial_run_keeps_the_repositorys_own_settings(rw, tmp_path):
    assert rw.own_config(tmp_path) == {}
    (tmp_path / "aiart-release.yaml").write_text("release: gated\ncommercial: false\n", "utf-8")
    assert rw.own_config(tmp_path) == {"release": "gated", "commercial": False}


def test_missing_folder_is_skipped_and_present_one_scored(rw, tmp_path, capsys):
    (tmp_path / "repos" / "present").mkdir(parents=True)
    expectations = tmp_path / "expectations.yaml"
    expectations.write_text(textwrap.dedent("""\
        version: 1
        repos:
          someone/absent-repo:
            artifacts: {code: {tier: open}}
          someone/present:
            licenses: [{id: MIT, paths: [LICENSE]}]
            artifacts: {code: {tier: open}}
            must_find: [{id: license.detected, path: LICENSE}]
    """), "utf-8")
    script = tmp_path / "fake-cli.py"
    script.write_text(FAKE_CLI, "utf-8")
    cli = tmp_path / "aiart-release"
    cli.write_text(f"#!/bin/sh\nexec {sys.executable} {script} \"$@\"\n", "utf-8")
    cli.chmod(cli.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "results.json"

    code = rw.main([str(tmp_path / "repos"), "--expectations", str(expectations),
                    "--cli", str(cli), "--json", str(out), "--check",
                    "--save", str(tmp_path / "saved")])

    printed = capsys.readouterr().out
    assert "someone/absent-repo: skipped, no folder someone+absent-repo" in printed
    assert "== someone/present: 1 findings (1 info), cold run" in printed
    assert "| someone/present | 3/3 | 0/0 | 1 | 1/1 | 0 | 1/1 | 0/0 (+1 unexpected) |" in printed
    results = json.loads(out.read_text("utf-8"))
    assert list(results["results"]) == ["someone/present"]
    assert results["totals"]["tiers"]["met"] is True
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == [
        "someone+present-commercial.json", "someone+present.json"]
    # --only leaves out the other repositories; with none scored, --check fails
    assert rw.main([str(tmp_path / "repos"), "--expectations", str(expectations),
                    "--cli", str(cli), "--only", "absent-repo", "--check"]) == 1
