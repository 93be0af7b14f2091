"""The release policy (aiart_release/policy.py and rules/policy.yaml, shipped
as ``aiart_release.rules_data``): findings + facts -> a tier and a retention
per artifact, with reasons and what would allow a more open release.

Most tests hand ``decide()`` a few findings and facts and read the decision;
the last ones change the policy of a real example bundle through the CLI.
"""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from conftest import EXAMPLES, make_bundle

from aiart_release.findings import CHECKPOINT_OF_ARTIFACT, Finding, Location, Severity
from aiart_release.policy import (
    INDEFINITE,
    TIERS,
    Policy,
    PolicyError,
    PolicyLine,
    decide,
    duration_days,
    load_policy,
    stricter,
)

ALL = ["model", "code", "dataset"]
UNLICENSED = EXAMPLES / "unlicensed-unfilled"


def finding(id: str, severity: str = "medium", artifact: str = "dataset",
            path: str = "data/captions.csv", count=None) -> Finding:
    return Finding(id=id, severity=Severity(severity), message="m", location=Location(path),
                   count=count).with_defaults(check="test",
                                              checkpoint=CHECKPOINT_OF_ARTIFACT[artifact],
                                              artifact=artifact)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def tiers(recommendation) -> dict[str, str]:
    return {a: d.tier for a, d in recommendation.artifacts.items()}


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the default policy --------------------------------------------------------

def test_the_default_policy_ships_as_package_data_and_validates(policy):
    text = resources.files("aiart_release.rules_data").joinpath("policy.yaml").read_text("utf-8")
    assert "version: 1" in text
    assert policy.source == "default"
    assert policy.default_retention == INDEFINITE
    ids = [line.id for line in policy.lines]
    assert len(ids) == len(set(ids))
    for wanted in ("special-category-data", "personal-data", "minors", "license-missing",
                   "model-card-missing", "unsafe-model-file", "assessment-incomplete"):
        assert wanted in ids
    for line in policy.lines:
        assert line.tier in TIERS
        assert line.because and line.to_lower
        assert "\n" not in line.because  # folded to one line for the report
        assert line.artifacts == "matched" or set(line.artifacts) <= set(ALL)
        if line.data_class:
            assert line.data_class in policy.classes


def test_every_retention_class_has_a_duration_and_a_why(policy):
    assert {"special-category-data", "personal-data", "unlicensed-third-party",
            "public-domain", "own-work"} <= set(policy.classes)
    for name, entry in policy.classes.items():
        assert duration_days(entry["retention"]) > 0, name
        assert entry["why"].strip(), name


def test_the_default_policy_is_documented_line_by_line():
    # DESIGN.md: "the default is documented, with the reasoning behind each line".
    text = resources.files("aiart_release.rules_data").joinpath("policy.yaml").read_text("utf-8")
    for phrase in ("Art. 5(1)(e)", "gated repositor", "gradient of release"):
        assert phrase.lower() in text.lower(), phrase


# --- decisions -----------------------------------------------------------------

def test_nothing_found_means_open_and_indefinite(policy):
    rec = decide(policy, {}, [], ALL)
    assert rec.overall == "open"
    for decision in rec.artifacts.values():
        assert (decision.tier, decision.retention) == ("open", "indefinite")
        assert decision.reasons == [] and decision.to_lower == [] and decision.forced_by == []
        assert "no personal" in decision.retention_reason
        assert decision.data_classes == []


def test_only_present_artifacts_are_decided(policy):
    rec = decide(policy, {"special_category_data": True}, [], ["code"])
    assert list(rec.artifacts) == ["code"]
    assert rec.overall == "open"


def test_special_category_data_closes_the_dataset_for_90_days(policy):
    rec = decide(policy, {"special_category_data": True}, [], ALL)
    assert tiers(rec) == {"model": "gated", "code": "open", "dataset": "closed"}
    assert rec.overall == "closed"
    dataset = rec.artifacts["dataset"]
    assert dataset.retention == "P90D"
    assert dataset.retention_reason.startswith("special-category-data: ")
    assert "Art. 5(1)(e)" in dataset.retention_reason
    assert dataset.reasons == [
        "closed: The dataset ties people to special-category traits (health, beliefs, "
        "sexuality, ethnicity...); publishing that needs explicit consent (GDPR Art. 9). "
        "[special-category-data: special_category_data]"
    ]
    assert dataset.forced_by == ["special-category-data"]
    # The model trained on it is personal data, kept a year.
    assert rec.artifacts["model"].retention == "P1Y"
    assert rec.artifacts["code"].retention == "indefinite"


def test_a_high_sensitive_finding_does_what_the_fact_does(policy):
    rec = decide(policy, {}, [finding("sensitive.health", "high")], ALL)
    assert tiers(rec) == {"model": "gated", "code": "open", "dataset": "closed"}
    assert "[special-category-data: sensitive.health at data/captions.csv]" in \
        rec.artifacts["dataset"].reasons[0]
    # ...but a low one does not.
    assert decide(policy, {}, [finding("sensitive.health", "low")], ALL).overall == "open"


def test_personal_data_in_the_dataset_gates_it_and_keeps_it_a_year(policy):
    rec = decide(policy, {}, [finding("pii.email-address", "medium")], ALL)
    assert tiers(rec) == {"model": "open", "code": "open", "dataset": "gated"}
    dataset = rec.artifacts["dataset"]
    assert dataset.retention == "P1Y"
    assert dataset.data_classes == ["personal-data"]
    assert "GDPR Art. 5(1)(e)" in dataset.retention_reason
    assert dataset.to_lower == ["Remove or pseudonymise the personal data (names, e-mail "
                                "addresses, locations) before release."]
    # Low-severity personal data does not trigger the line.
    assert decide(policy, {}, [finding("pii.email-address", "low")], ALL).overall == "open"


def test_the_personal_data_fact_alone_binds_the_dataset(policy):
    # A check that reports personal data only as a fact speaks of the data:
    # code and model stay open (line personal-data-dataset).
    rec = decide(policy, {"personal_data": True}, [], ALL)
    assert tiers(rec) == {"model": "open", "code": "open", "dataset": "gated"}
    assert rec.artifacts["dataset"].retention == "P1Y"


def test_a_docs_finding_binds_every_present_artifact(policy):
    rec = decide(policy, {}, [finding("docs.license-missing", "high", "docs", ".")],
                 ["model", "dataset"])
    assert tiers(rec) == {"model": "gated", "dataset": "gated"}
    for decision in rec.artifacts.values():
        assert decision.reasons[0].endswith("[license-missing: docs.license-missing at .]")
        assert any("LICENSE" in step for step in decision.to_lower)
        assert decision.retention == "indefinite"  # the line names no data class


def test_a_finding_in_one_artifact_binds_only_that_artifact(policy):
    rec = decide(policy, {}, [finding("docs.license-missing", "high", "code", "code/")], ALL)
    assert tiers(rec) == {"model": "open", "code": "gated", "dataset": "open"}


def test_lines_with_fixed_artifacts_ignore_where_the_finding_is(policy):
    # unsafe-model-file binds the model even if the pickle sits in the dataset folder.
    rec = decide(policy, {}, [finding("model.pickle-import", "critical", "dataset",
                                      "data/x.pkl")], ALL)
    assert tiers(rec) == {"model": "closed", "code": "open", "dataset": "open"}
    # A finding-condition that matches nothing raises nothing.
    assert decide(policy, {}, [finding("model.pickle-import", "high", "model")], ALL) \
        .overall == "open"


def test_the_shortest_retention_wins(policy):
    rec = decide(policy, {"minors": True}, [finding("pii.person-name")], ALL)
    dataset = rec.artifacts["dataset"]
    assert set(dataset.data_classes) == {"minors", "personal-data"}
    assert dataset.retention == "P90D"
    assert dataset.retention_reason.startswith("minors: ")
    rec = decide(policy, {}, [finding("pii.person-name"), finding("consent.no-permission",
                                                                  "high")], ALL)
    dataset = rec.artifacts["dataset"]
    assert set(dataset.data_classes) == {"personal-data", "unlicensed-third-party"}
    assert dataset.retention == "P180D"


def test_reasons_put_the_strictest_first_and_to_lower_follows(policy):
    # Policy order gives gated (personal-data, license-missing) before closed
    # (unsafe-model-file), and scenarios come last; the report puts closed first.
    scenario = {"id": "misuse.style-mimicry", "title": "Style mimicry",
                "min_tier": {"model": "closed"}, "mitigations": ["Gate the model"]}
    rec = decide(policy, {}, [
        finding("pii.person-name", artifact="model", path="model/README.md"),
        finding("docs.license-missing", "high", "docs", "."),
        finding("model.pickle-import", "critical", "model", "model/w.ckpt"),
    ], ALL, [scenario])
    model = rec.artifacts["model"]
    assert model.tier == "closed"
    assert [r.split(":")[0] for r in model.reasons] == ["closed", "closed", "gated", "gated"]
    assert model.reasons[0].startswith("closed: A model file would run code")
    assert model.reasons[1].startswith("closed: misuse scenario misuse.style-mimicry")
    assert model.to_lower[0].startswith("Re-save the weights as safetensors")
    assert model.to_lower[1] == "Gate the model"
    assert len(model.to_lower) == len(model.reasons) == 4
    assert model.forced_by == ["personal-data", "license-missing", "unsafe-model-file",
                               "misuse.style-mimicry"]


def test_the_same_step_to_lower_is_listed_once(policy):
    # Two scenarios with the same mitigation: two reasons, one step.
    scenarios = [{"id": f"misuse.{n}", "title": n, "min_tier": {"dataset": "gated"},
                  "mitigations": ["Blur faces"]} for n in ("a", "b")]
    dataset = decide(policy, {}, [], ALL, scenarios).artifacts["dataset"]
    assert len(dataset.reasons) == 2
    assert dataset.to_lower == ["Blur faces"]


def test_evidence_lists_three_findings_and_counts_the_rest(policy):
    many = [finding("pii.email-address", "high", path=f"data/c{i}.csv") for i in range(5)]
    reason = decide(policy, {}, many, ALL).artifacts["dataset"].reasons[0]
    assert reason.endswith("[personal-data: pii.email-address at data/c0.csv, "
                           "pii.email-address at data/c1.csv, pii.email-address at "
                           "data/c2.csv, and 2 more]")


def test_a_failed_plugin_gates_everything_present(policy):
    rec = decide(policy, {}, [finding("plugin.load-failed", "high", "docs", ".")], ALL)
    assert tiers(rec) == {"model": "gated", "code": "gated", "dataset": "gated"}
    assert all("assessment is incomplete" in d.reasons[0] for d in rec.artifacts.values())


def test_scenarios_raise_tiers_and_are_named_in_reasons(policy):
    scenario = {
        "id": "misuse.deepfake-real-people",
        "title": "Deepfakes of real people",
        "min_tier": {"model": "closed", "dataset": "gated", "code": "open",
                     "docs": "closed", "weights": "closed"},
        "mitigations": ["Remove the faces of real people", "Gate the model"],
    }
    rec = decide(policy, {}, [], ALL, [scenario])
    assert tiers(rec) == {"model": "closed", "code": "open", "dataset": "gated"}
    model = rec.artifacts["model"]
    assert model.reasons == ["closed: misuse scenario misuse.deepfake-real-people: "
                             "Deepfakes of real people"]
    assert model.to_lower == ["Remove the faces of real people; Gate the model"]
    assert model.forced_by == ["misuse.deepfake-real-people"]
    assert rec.artifacts["code"].reasons == []


def test_a_scenario_never_lowers_a_tier_and_ignores_unknown_tiers(policy):
    scenarios = [
        {"id": "misuse.a", "min_tier": {"dataset": "gated"}},
        {"id": "misuse.b", "min_tier": {"model": "secret"}},
        {"id": "misuse.c", "min_tier": None},
    ]
    rec = decide(policy, {"special_category_data": True}, [], ALL, scenarios)
    assert tiers(rec) == {"model": "gated", "code": "open", "dataset": "closed"}
    dataset = rec.artifacts["dataset"]
    assert dataset.reasons[0].startswith("closed: ")
    assert dataset.reasons[1] == "gated: misuse scenario misuse.a"
    assert dataset.to_lower[1] == "Mitigate the scenario"


def test_the_recommendation_serialises(policy):
    rec = decide(policy, {"special_category_data": True}, [], ["dataset", "code"])
    out = rec.to_dict()
    assert out["overall"] == "closed"
    assert out["artifacts"]["dataset"]["retention"] == "P90D"
    assert out["artifacts"]["dataset"]["data_classes"] == ["special-category-data"]
    assert "data_classes" not in out["artifacts"]["code"]
    assert set(out["artifacts"]["code"]) == {"tier", "retention", "reasons", "to_lower",
                                             "retention_reason"}


@pytest.mark.parametrize("recommended, declared, result", [
    ("gated", "open", True), ("closed", "gated", True), ("open", "open", False),
    ("open", "closed", False), ("gated", "closed", False),
])
def test_stricter(recommended, declared, result):
    assert stricter(recommended, declared) is result


# --- durations -------------------------------------------------------------------

def test_durations_order_from_shortest_to_indefinite():
    ordered = ["P0D", "P1D", "P2W", "P1M", "P90D", "P180D", "P1Y", "P1Y6M", "P5Y", "indefinite"]
    days = [duration_days(d) for d in ordered]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert duration_days("P2W") == 14
    assert duration_days("P1Y") == pytest.approx(365.25)
    assert duration_days("indefinite") == float("inf")


@pytest.mark.parametrize("bad", ["forever", "1Y", "P1H", "PT1H", "p1y", "P-1D", ""])
def test_a_duration_that_is_not_iso_8601_raises(bad):
    with pytest.raises(ValueError, match="not an ISO 8601 duration"):
        duration_days(bad)


# --- user policies ---------------------------------------------------------------

REPLACE_LICENSE_LINE = """\
version: 1
extends: default
retention:
  classes:
    personal-data: {retention: P30D, why: The studio deletes personal data after a month.}
    scraped: {retention: P7D, why: Scraped works are deleted within a week.}
lines:
  - id: license-missing
    when: {finding: {id: docs.license-missing}}
    tier: closed
    artifacts: matched
    because: Our studio never publishes unlicensed work.
    to_lower: Add a licence.
  - id: model-card-missing
    disabled: true
  - id: scraped-images
    when: {scraped: true}
    tier: gated
    artifacts: [dataset]
    data_class: scraped
    because: The images were scraped.
    to_lower: Replace scraped images with licensed ones.
"""


def test_a_user_policy_replaces_disables_and_adds_lines_by_id(policy, tmp_path):
    custom = load_policy(write_policy(tmp_path, REPLACE_LICENSE_LINE))
    assert custom.source == str(tmp_path / "policy.yaml")
    ids = [line.id for line in custom.lines]
    assert "model-card-missing" not in ids
    assert ids.count("license-missing") == 1 and ids[-1] == "scraped-images"
    # The other default lines are kept.
    assert set(ids) == {line.id for line in policy.lines} - {"model-card-missing"} | {
        "scraped-images"}
    assert custom.classes["personal-data"]["retention"] == "P30D"
    assert custom.classes["minors"]["retention"] == "P90D"  # untouched classes kept

    findings = [finding("docs.license-missing", "high", "model", "model/"),
                finding("docs.model-card-missing", "medium", "model", "model/")]
    rec = decide(custom, {"scraped": True}, findings, ALL)
    assert tiers(rec) == {"model": "closed", "code": "open", "dataset": "gated"}
    assert rec.artifacts["model"].reasons == [
        "closed: Our studio never publishes unlicensed work. "
        "[license-missing: docs.license-missing at model/]"]  # no model-card line
    assert rec.artifacts["dataset"].retention == "P7D"
    # And the default, for comparison.
    assert tiers(decide(policy, {"scraped": True}, findings, ALL))["model"] == "gated"


def test_a_user_policy_can_change_the_default_retention(tmp_path):
    custom = load_policy(write_policy(tmp_path, "version: 1\nretention: {default: P5Y}\n"))
    assert custom.default_retention == "P5Y"
    assert decide(custom, {}, [], ["code"]).artifacts["code"].retention == "P5Y"


def test_extends_none_uses_the_file_alone(tmp_path):
    custom = load_policy(write_policy(tmp_path, """\
version: 1
extends: none
retention: {default: P10Y}
lines:
  - id: anything-commercial
    when: {commercial: true}
    tier: gated
    artifacts: [model, code]
    because: Commercial use needs a contract.
    to_lower: Sign a contract.
"""))
    assert [line.id for line in custom.lines] == ["anything-commercial"]
    assert custom.classes == {}
    rec = decide(custom, {"commercial": True, "special_category_data": True},
                 [finding("docs.license-missing", "high", "docs", ".")], ALL)
    # Nothing of the default policy applies any more.
    assert tiers(rec) == {"model": "gated", "code": "gated", "dataset": "open"}
    assert rec.artifacts["dataset"].retention == "P10Y"


@pytest.mark.parametrize("text", [
    "version: 1\nextends: none\nlines: []\n",
    "version: 1\nextends: none\nretention: {default: P1Y}\n",
])
def test_extends_none_needs_retention_and_lines(tmp_path, text):
    path = write_policy(tmp_path, text)
    with pytest.raises(PolicyError, match=re.escape(f"{path}:1:1: with `extends: none`")):
        load_policy(path)


LINE = "  - id: x\n    when: {x: true}\n    tier: gated\n    artifacts: [model]\n" \
       "    because: b\n    to_lower: t\n"

INVALID_POLICIES = [
    ("version: 1\nlines:\n" + LINE.replace("tier: gated", "tier: private"), "5:11",
     "lines.0.tier: the string is not one of ['open', 'gated', 'closed']"),
    ("version: 1\nlines:\n" + LINE.replace("    because: b\n", ""), "3:5",
     "lines.0: 'because' is a required property"),
    ("version: 1\nlines:\n" + LINE.replace("[model]", "[docs]"), "6:16", "lines.0.artifacts"),
    ("version: 1\nlines:\n" + LINE.replace("id: x", "id: Bad_Id"), "3:9", "lines.0.id"),
    ("version: 1\nlines:\n" + LINE.replace("when: {x: true}", "when: {}"), "4:11",
     "lines.0.when"),
    # (an unknown key is placed at the key, not at its value)
    ("version: 1\nlines:\n" + LINE + "    severity: high\n", "9:5",
     "lines.0.severity: unknown key 'severity'"),
    ("version: 2\n", "1:10", "version: 1 was expected"),
    ("lines: []\n", "1:1", "'version' is a required property"),
    ("version: 1\nextends: defaults\n", "2:10", "extends: the string is not one of"),
    ("version: 1\nretention: {default: forever}\n", "2:22",
     "retention.default: the string does not match"),
    ("version: 1\nretention:\n  classes:\n    mine: {retention: P1Y}\n", "4:11",
     "'why' is a required property"),
    ("version: 1\nlines: [\n", "3:1", "invalid YAML"),
    ("version: 1\nversion: 1\n", "2:1", "key 'version' appears twice"),
    ("- version: 1\n", "1:1", "a policy must be a mapping"),
]


@pytest.mark.parametrize("text, where, message", INVALID_POLICIES,
                         ids=[m[:40] for _, _, m in INVALID_POLICIES])
def test_an_invalid_policy_names_file_line_and_column(tmp_path, text, where, message):
    path = write_policy(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    error = str(info.value)
    assert error.startswith(f"{path}:{where}: "), error
    assert message in error
    for line in error.splitlines():
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line), line


def test_a_line_naming_an_unknown_data_class_is_rejected(tmp_path):
    path = write_policy(tmp_path, "version: 1\nlines:\n" + LINE + "    data_class: scrapped\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(path) in str(info.value)
    assert "line 'x' names data class 'scrapped', which has no retention" in str(info.value)


def test_a_disabled_line_may_name_anything(tmp_path):
    path = write_policy(tmp_path, "version: 1\nlines:\n  - id: minors\n    disabled: true\n")
    assert "minors" not in [line.id for line in load_policy(path).lines]


def test_an_unreadable_policy_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "missing.yaml")


def test_a_condition_error_at_decision_time_is_a_policy_error():
    # A Policy built in code skips load-time validation; decide() still turns a
    # bad condition into a PolicyError (exit 2), not an internal error.
    bad = Policy(source="mine.yaml", default_retention="indefinite", classes={}, lines=[
        PolicyLine(id="x", when={"x": {"equals": 1}}, tier="gated", artifacts=["model"],
                   because="b", to_lower="t")])
    with pytest.raises(PolicyError, match=r"^mine\.yaml: line 'x': unknown operator 'equals'"):
        decide(bad, {"x": 1}, [], ALL)


@pytest.mark.parametrize("when, message", [
    # Was a bug: conditions were checked only when a bundle reached them.
    ("{finding: {id: 'pii.*', severity: {gtee: high}}}", "unknown operator 'gtee'"),
    ("{all: [{x: true}, {y: {bogus: 1}}]}", "when.all[1].y: unknown operator 'bogus'"),
    # Was a bug: an unknown severity was an internal error (exit 3).
    ("{finding: {id: 'pii.*', severity: hgh}}", "unknown severity 'hgh'"),
])
def test_a_malformed_condition_is_rejected_when_the_policy_loads(tmp_path, when, message):
    path = write_policy(tmp_path, "version: 1\nlines:\n" + LINE.replace("{x: true}", when))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}")
    assert "line 'x'" in str(info.value) and message in str(info.value)


# Was a bug (fixed): see git history.
def test_a_malformed_condition_in_a_policy_names_file_line_and_column(tmp_path):
    path = write_policy(tmp_path, "version: 1\nlines:\n" + LINE.replace(
        "{x: true}", "{finding: {id: 'pii.*', severity: {gtee: high}}}"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}:4:")


def test_a_disabled_line_is_not_checked(tmp_path):
    path = write_policy(tmp_path, "version: 1\nlines:\n" + LINE.replace(
        "{x: true}", "{x: {bogus: 1}}") + "    disabled: true\n")
    assert "x" not in [line.id for line in load_policy(path).lines]


# --- through the CLI -------------------------------------------------------------

def test_a_policy_file_changes_the_recommendation_of_an_example(cli, tmp_path):
    before = cli("assess", UNLICENSED, "-f", "json")
    assert before.code == 1
    assert before.json()["recommendation"]["overall"] == "gated"

    path = write_policy(tmp_path, "version: 1\nlines:\n  - id: license-missing\n"
                                  "    disabled: true\n")
    after = cli("assess", UNLICENSED, "-f", "json", "--policy", path)
    assert after.code == 0, after.err  # declared open, now recommended open
    report = after.json()
    # Same findings, different verdict.
    assert [f["id"] for f in report["findings"]] == [f["id"] for f in before.json()["findings"]]
    rec = report["recommendation"]
    assert rec["overall"] == "open"
    for decision in rec["artifacts"].values():
        assert (decision["tier"], decision["reasons"]) == ("open", [])


def test_a_stricter_policy_closes_the_example(cli, tmp_path):
    path = write_policy(tmp_path, REPLACE_LICENSE_LINE)
    report = cli("assess", UNLICENSED, "-f", "json", "--policy", path).json()
    assert {a: d["tier"] for a, d in report["recommendation"]["artifacts"].items()} == {
        "model": "closed", "code": "closed", "dataset": "closed"}


def test_the_config_names_a_policy_relative_to_itself(cli, tmp_path):
    # (inside the bundle: a bundle's own config may not reach outside it)
    bundle = tmp_path / "b"
    shutil.copytree(UNLICENSED, bundle)
    make_bundle(bundle, {"policies/relaxed.yaml": "version: 1\nlines:\n"
                                                  "  - id: license-missing\n"
                                                  "    disabled: true\n"})
    (bundle / "aiart-release.yaml").write_text("release: open\npolicy: policies/relaxed.yaml\n")
    result = cli("assess", bundle, "-f", "json")
    assert result.code == 0, result.err
    assert result.json()["recommendation"]["overall"] == "open"


def test_an_invalid_policy_on_the_command_line_is_exit_2_with_its_position(cli, tmp_path):
    path = write_policy(tmp_path, "version: 1\nlines:\n" + LINE.replace("tier: gated",
                                                                        "tier: private"))
    result = cli("assess", UNLICENSED, "-f", "json", "--policy", path)
    assert result.code == 2
    assert f"{path}:5:11: lines.0.tier" in result.err
    assert result.out == ""


def test_an_unknown_severity_in_a_policy_is_exit_2_not_an_internal_error(cli, tmp_path):
    path = write_policy(tmp_path, "version: 1\nlines:\n" + LINE.replace(
        "{x: true}", "{finding: {id: 'docs.*', severity: hgh}}"))
    result = cli("assess", UNLICENSED, "-f", "json", "--policy", path)
    assert result.code == 2
    assert "unknown severity 'hgh'" in result.err
    assert "internal error" not in result.err


def _in(id: str, severity: str, artifact: str, path: str, context: str) -> Finding:
    from dataclasses import replace

    return replace(finding(id, severity, artifact, path), context=context)


def test_traits_in_code_comments_move_no_dataset(policy):
    # A "health" word in a code comment, even at high, says nothing about
    # the people in the dataset.
    rec = decide(policy, {}, [_in("sensitive.health", "high", "code", "train.py",
                                  "code-comment")], ALL)
    assert tiers(rec) == {"model": "open", "code": "open", "dataset": "open"}


def test_a_dataset_line_scoped_to_the_artifact_ignores_other_artifacts(policy):
    # sensitive.minors in a caption of the model folder (sample outputs) does
    # not close the dataset; in the dataset's captions it does.
    elsewhere = _in("sensitive.minors", "critical", "model", "model/samples.csv", "caption")
    assert decide(policy, {}, [elsewhere], ALL).artifacts["dataset"].tier == "open"
    here = _in("sensitive.minors", "critical", "dataset", "data/captions.csv", "caption")
    assert decide(policy, {}, [here], ALL).artifacts["dataset"].tier == "closed"


def test_published_contacts_in_docs_do_not_gate_but_an_address_does(policy):
    contact = _in("pii.email-address", "high", "docs", "README.md", "prose")
    assert decide(policy, {}, [contact], ALL).overall == "open"
    address = _in("pii.street-address", "high", "code", "prepare.py", "code-comment")
    rec = decide(policy, {}, [address], ALL)
    assert rec.artifacts["code"].tier == "gated"
    assert "personal-data-in-docs-or-code: pii.street-address at prepare.py" in \
        rec.artifacts["code"].reasons[0]
    assert rec.artifacts["dataset"].tier == "open"


def test_findings_without_a_context_count_as_data(policy):
    # A plugin's check that does not say where its text lives: the cautious reading.
    rec = decide(policy, {}, [finding("pii.person-name", "medium")], ALL)
    assert rec.artifacts["dataset"].tier == "gated"
