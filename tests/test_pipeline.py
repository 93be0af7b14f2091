"""The pipeline: `pipeline.assess` calls each stage once, in order, each on
what the one before returned; the engine runs checks and returns what they
found without judging it; undeclared facts are caught where they enter."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, make_bundle

from aiart_release import hookimpl, pipeline
from aiart_release.bundle import BundleError
from aiart_release.checks import Check
from aiart_release.config import load_config
from aiart_release.engine import CheckRun, Options, run_checks
from aiart_release.facts import Fact, gather_facts
from aiart_release.findings import Checkpoint
from aiart_release.plugins import build_registry
from aiart_release.policy import load_policy

OWN_WORK = EXAMPLES / "own-work"
STAGES = ("take_inventory", "gather_facts", "run_checks", "set_aside_accepted", "derive_facts",
          "raise_scenarios", "decide", "mask_for_display")


def assess(path, registry=None):
    return pipeline.assess(path, registry or build_registry(), load_config(path), load_policy(),
                           Options(use_cache=False))


def test_assess_calls_each_stage_once_in_order_on_the_previous_output(monkeypatch):
    calls: list[tuple[str, tuple, object]] = []

    def recorded(name):
        real = getattr(pipeline, name)

        def stage(*args, **kwargs):
            result = real(*args, **kwargs)
            calls.append((name, args, result))
            return result

        return stage

    for name in STAGES:
        monkeypatch.setattr(pipeline, name, recorded(name))
    assessment = assess(OWN_WORK)

    assert [name for name, _, _ in calls] == list(STAGES)
    out = {name: result for name, _, result in calls}
    args = {name: a for name, a, _ in calls}
    assert args["gather_facts"][0] is out["take_inventory"]
    assert args["run_checks"][2] is out["gather_facts"]
    assert args["set_aside_accepted"][2] is out["run_checks"].findings
    assert args["set_aside_accepted"][3] is out["run_checks"].provided
    merged, _suppressed, provided = out["set_aside_accepted"]
    assert args["derive_facts"] == (out["gather_facts"], provided)
    assert args["raise_scenarios"][1:] == (out["derive_facts"], merged)
    raised, findings = out["raise_scenarios"]
    assert args["decide"][1:] == (out["derive_facts"].values, findings,
                                  out["take_inventory"].artifacts_present(), raised)
    unmasked = args["mask_for_display"][0]
    assert unmasked.facts is out["derive_facts"]
    assert unmasked.findings is findings and unmasked.recommendation is out["decide"]
    assert assessment is out["mask_for_display"]
    assert [f.fingerprint for f in assessment.findings] == [f.fingerprint for f in findings]


def test_the_stages_after_the_checks_return_new_values_and_leave_their_input_alone():
    registry = build_registry()
    config = load_config(OWN_WORK)
    inventory = pipeline.take_inventory(OWN_WORK, registry, config, Options())
    declared = gather_facts(inventory, config)
    run = run_checks(OWN_WORK, inventory, declared, registry, config, Options(use_cache=False))
    found = list(run.findings)
    merged = pipeline.merge_findings(inventory, registry, run.findings)
    assert run.findings == found and merged is not run.findings
    before = list(merged)
    _, reported = pipeline.raise_scenarios(registry, declared, merged)
    assert merged == before and reported is not merged


def test_the_engine_returns_findings_each_checks_facts_and_timings():
    registry = build_registry()
    config = load_config(OWN_WORK)
    inventory = pipeline.take_inventory(OWN_WORK, registry, config, Options())
    run = run_checks(OWN_WORK, inventory, gather_facts(inventory, config), registry, config,
                     Options(use_cache=False))
    assert isinstance(run, CheckRun)
    enabled = sorted(cid for cid in registry.checks if config.check_enabled(cid))
    assert [check.id for check, _ in run.provided] == enabled
    assert all(isinstance(facts, dict) for _, facts in run.provided)
    assert {f.check for f in run.findings} <= set(enabled)
    assert set(run.timings) <= set(enabled) and run.errors == []


def test_a_bundle_with_nothing_to_assess_is_refused_at_the_inventory(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError, match="holds no files"):
        assess(tmp_path / "empty")


# --- undeclared facts, where they enter the pipeline -------------------------

class Sloppy(Check):
    id = "sloppy"
    checkpoint = Checkpoint.DATASET
    provides = {"faces": Fact(int, "faces counted")}

    def scan_bundle(self, ctx):
        return ()

    def facts(self, findings):
        return {"faces": 2, "personal_dta": True}


class SloppyPlugin:
    @hookimpl
    def aiart_release_register_checks(self, register):
        register(Sloppy())


class MisspeltRulesPlugin:
    @hookimpl
    def aiart_release_register_rules(self, register):
        register({"pack": "misspelt", "version": "1", "rules": [
            {"id": "misuse.misspelt", "title": "t", "when": {"personal_dta": True},
             "likelihood": "low", "impact": "low", "mitigations": ["m"]}]})


def test_a_check_returning_a_fact_it_does_not_declare_fails_and_provides_nothing(tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "notes.txt": "hello\n"})
    result = assess(bundle, build_registry(extra=[("sloppy", SloppyPlugin())]))
    failed = [f for f in result.findings if f.id == "plugin.check-failed"]
    assert [f.check for f in failed] == ["sloppy"]
    assert "personal_dta" not in result.facts.values and "faces" not in result.facts.values


def test_a_rule_pack_naming_an_undeclared_fact_is_skipped_and_reported(tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "notes.txt": "hello\n"})
    result = assess(bundle, build_registry(extra=[("misspelt", MisspeltRulesPlugin())]))
    [problem] = [f for f in result.findings if f.id == "plugin.rules-invalid"]
    assert "unknown fact 'personal_dta'" in problem.message
    assert "did you mean 'personal_data'?" in problem.message


def test_a_policy_naming_an_undeclared_fact_is_a_usage_error_at_its_line(cli, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nlines:\n  - id: no-faces\n    when: {personal_dta: true}\n"
                      "    tier: gated\n    artifacts: [dataset]\n"
                      "    because: b\n    to_lower: t\n", encoding="utf-8")
    result = cli("assess", OWN_WORK, "--policy", policy)
    assert result.code == 2
    assert f"{policy}:4:" in result.err and "unknown fact 'personal_dta'" in result.err
