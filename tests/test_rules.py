"""Misuse rules: the rule format and its schema, the built-in pack and its
fixtures, the `rules` commands, scenarios in the assessment, and a
third-party pack."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from conftest import EXAMPLES, ROOT, make_bundle

from aiart_release import conditions
from aiart_release.rules import fixtures_of, load_pack, run_fixtures

BUILTIN = ROOT / "rules" / "misuse" / "builtin.yaml"
BUILTIN_IDS = {
    "misuse.deepfake-real-people", "misuse.non-consensual-intimate-imagery",
    "misuse.source-community-harassment", "misuse.style-mimicry",
    "misuse.political-disinformation", "misuse.reidentification-surveillance",
    "misuse.training-data-extraction", "misuse.voice-cloning-fraud", "misuse.minors-in-data",
    "misuse.synthetic-photos-passed-as-real", "misuse.explicit-material-in-data",
}
BUILTIN_VERSION = "1.3.0"
FIXTURES = 60


def test_the_builtin_pack_covers_the_scenarios_the_field_guide_asks_about():
    pack = load_pack(BUILTIN)
    assert {r["id"] for r in pack.rules} == BUILTIN_IDS
    assert pack.version == BUILTIN_VERSION
    for rule in pack.rules:
        assert rule["mitigations"] and rule["scenario"]["motivation"]
        assert set(rule["min_tier"]) <= {"model", "code", "dataset"}


@pytest.mark.parametrize("rule_id", sorted(BUILTIN_IDS))
def test_every_builtin_rule_has_fixtures_that_pass(rule_id):
    pack = load_pack(BUILTIN)
    results = [r for r in run_fixtures(pack, fixtures_of(BUILTIN)) if r.rule == rule_id]
    assert any(r.expected for r in results) and any(not r.expected for r in results)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


def test_rules_list_and_show(cli):
    listed = {r["id"]: r for r in json.loads(cli("rules", "list", "--json").out)}
    assert BUILTIN_IDS <= set(listed)
    assert listed["misuse.style-mimicry"]["plugin"] == "misuse"
    # The third-party plugin installed by `make test` adds its rule.
    assert listed["misuse.client-work-leak"]["plugin"] == "studio"
    assert listed["misuse.client-work-leak"]["pack"] == "aiart-release-studio 0.1.0"
    table = cli("rules", "list").out
    assert "misuse.voice-cloning-fraud" in table and "studio" in table
    shown = cli("rules", "show", "misuse.minors-in-data")
    assert shown.code == 0 and "mitigations:" in shown.out and "sensitive.minors" in shown.out
    missing = cli("rules", "show", "misuse.nope")
    assert missing.code == 2 and "no rule" in missing.err


def test_rules_test_runs_every_installed_packs_fixtures(cli):
    result = cli("rules", "test")
    assert result.code == 0
    assert f"aiart-release-builtin {BUILTIN_VERSION}: {FIXTURES}/{FIXTURES} fixtures pass" \
        in result.out
    assert "aiart-release-studio 0.1.0: 3/3 fixtures pass" in result.out


def _pack(tmp_path, rules_yaml: str, fixtures: dict[str, dict] | None = None):
    pack = tmp_path / "pack.yaml"
    pack.write_text('pack: mine\nversion: "0.1"\nrules:\n' + rules_yaml)
    for name, body in (fixtures or {}).items():
        path = tmp_path / "fixtures" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body))
    return pack


RULE = ("  - id: misuse.mine\n    title: Mine\n    when: {modality: image}\n"
        "    likelihood: low\n    impact: low\n    mitigations: [do something]\n")


def test_rules_test_fails_on_a_wrong_fixture_and_on_missing_ones(cli, tmp_path):
    good = _pack(tmp_path, RULE, {
        "misuse.mine/positive-a.json": {"facts": {"modality": ["image"]}},
        "misuse.mine/negative-a.json": {"facts": {"modality": ["image"]}},  # wrong on purpose
    })
    result = cli("rules", "test", good)
    assert result.code == 1
    assert "FAIL misuse.mine negative-a.json" in result.out
    bare = tmp_path / "bare"
    bare.mkdir()
    result = cli("rules", "test", _pack(bare, RULE))
    assert result.code == 1 and "needs at least one positive" in result.out


@pytest.mark.parametrize("rules_yaml, where, words", [
    (RULE.replace("likelihood: low", "likelihood: often"), "pack.yaml:7:17",
     "the string is not one of ['low', 'medium', 'high']"),
    (RULE.replace("id: misuse.mine", "id: mine"), "pack.yaml:4:9", "does not match"),
    (RULE.replace("    mitigations: [do something]\n", ""), "pack.yaml:4:5", "mitigations"),
    (RULE.replace("{modality: image}", "{modality: {has: image}}"), "pack.yaml:6:11",
     "unknown operator 'has'"),
    (RULE.replace("{modality: image}", "{text: {matches: '(a+)+$'}}"), "pack.yaml:6:11",
     "exponential time"),
    (RULE.replace("{modality: image}", "{text: {matches: '[unclosed'}}"), "pack.yaml:6:11",
     "not a regular expression"),
    (RULE.replace("    title: Mine\n", "    title: Mine\n    title: Again\n"), "pack.yaml:6:5",
     "appears twice"),
    (RULE.replace("{modality: image}", "{modality: [image"), "pack.yaml:", "invalid YAML"),
])
def test_rules_validate_names_file_line_and_column(cli, tmp_path, rules_yaml, where, words):
    pack = _pack(tmp_path, rules_yaml)
    result = cli("rules", "validate", pack)
    assert result.code == 2
    first = result.err.strip().splitlines()[0]
    assert first.startswith(str(tmp_path / where)) and words in first, first


def test_rules_validate_accepts_good_packs(cli):
    result = cli("rules", "validate", BUILTIN)
    assert result.code == 0 and \
        f"ok (aiart-release-builtin {BUILTIN_VERSION}, {len(BUILTIN_IDS)} rules)" in result.out


def test_a_slow_regular_expression_is_cut_off(monkeypatch):
    monkeypatch.setattr(conditions, "REGEX_TIMEOUT", 1e-9)
    outcome = conditions.evaluate({"text": {"matches": "(?:a|a)*b"}},
                                  {"card_text": "a" * 5000}, [])
    assert outcome.holds is False


def test_rule_files_are_data_not_code(cli, tmp_path):
    # A YAML tag that would build a Python object is refused by the safe loader.
    pack = _pack(tmp_path, RULE.replace("title: Mine", "title: !!python/object/apply:os.system "
                                                      "['echo pwned']"))
    result = cli("rules", "validate", pack)
    assert result.code == 2 and "pwned" not in result.out


def test_scenarios_in_the_assessment(cli):
    report = cli("assess", EXAMPLES / "forum-fanart", "-f", "json").json()
    scenarios = {s["id"]: s for s in report["scenarios"]}
    assert {"misuse.source-community-harassment", "misuse.style-mimicry"} <= set(scenarios)
    harassment = scenarios["misuse.source-community-harassment"]
    assert harassment["because"] == [
        "finding consent.scraped-without-permission at data/sources.csv"]
    assert harassment["mitigations"]
    assert harassment["pack"] == f"aiart-release-builtin {BUILTIN_VERSION}"
    assert harassment["scenario"]["motivation"] == ["harassment", "profit"]
    code = report["recommendation"]["artifacts"]["code"]
    assert code["tier"] == "gated"  # the licence is missing: a policy line, not a scenario
    terminal = cli("assess", EXAMPLES / "forum-fanart").out
    assert "Who might misuse this, and how" in terminal
    assert "misuse.style-mimicry" in terminal and "→ Do not use artists' names" in terminal


def test_a_scenario_minimum_raises_the_tier_and_says_why(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": (EXAMPLES / "own-work" / "LICENSE").read_text(),
        "model/README.md": "---\nlicense: mit\npipeline_tag: text-to-image\n---\n# m\n"
                           "A LoRA for any celebrity likeness.\n",
        "model/w.safetensors": (2).to_bytes(8, "little") + b"{}",
        "aiart-release.yaml": "release: open\n",
    })
    result = cli("assess", bundle, "-f", "json")
    report = result.json()
    assert [s["id"] for s in report["scenarios"]] == ["misuse.deepfake-real-people"]
    model = report["recommendation"]["artifacts"]["model"]
    assert model["tier"] == "gated"
    assert any("misuse scenario misuse.deepfake-real-people" in r for r in model["reasons"])
    assert result.code == 1


def test_the_third_party_rule_recognizer_and_check_work_together(cli, tmp_path):
    kra = tmp_path / "x.kra"
    with zipfile.ZipFile(kra, "w") as archive:
        archive.writestr("mimetype", "application/x-krita")
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "data/art/cover.kra": kra.read_bytes(),
        "data/captions.txt": "moodboard for Project Nightjar, teal and gold\n",
    })
    report = cli("assess", bundle, "-f", "json").json()
    ids = {f["id"] for f in report["findings"]}
    assert {"image.layered-source", "pii.client-codename"} <= ids
    leak = next(s for s in report["scenarios"] if s["id"] == "misuse.client-work-leak")
    assert leak["pack"] == "aiart-release-studio 0.1.0"
    assert report["recommendation"]["artifacts"]["dataset"]["tier"] == "gated"
    assert "Nightjar" not in json.dumps(report)


def test_a_broken_third_party_pack_is_reported_and_skipped(cli, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.badrules")
    result = cli("assess", EXAMPLES / "forum-fanart", "-f", "json")
    report = result.json()
    invalid = [f for f in report["findings"] if f["id"] == "plugin.rules-invalid"]
    assert len(invalid) == 1 and "the string is not one of" in invalid[0]["message"]
    # The other packs still ran.
    assert any(s["id"] == "misuse.source-community-harassment" for s in report["scenarios"])
    assert cli("assess", EXAMPLES / "forum-fanart", "--strict").code == 3
    listed = cli("rules", "list", "--json")
    assert "misuse.broken" not in listed.out and "skipped" in listed.err


def test_copy_of_a_pack_with_its_fixtures_tests_from_anywhere(cli, tmp_path):
    shutil.copytree(BUILTIN.parent, tmp_path / "misuse")
    result = cli("rules", "test", tmp_path / "misuse" / "builtin.yaml")
    assert result.code == 0 and f"{FIXTURES}/{FIXTURES}" in result.out


# --- mitigations already in place, and the rules that may then relax ----------

CHECKED = """\
  - id: misuse.mine
    title: Mine
    when: {modality: image}
    likelihood: low
    impact: low
    min_tier: {model: gated}
RELAX    mitigations:
      - text: Sign the samples
        in_place: {undisclosed_outputs: 0}
      - text: Gate it
        in_place: {gated: true}
      - Ask the sitters
"""


def _raised(tmp_path, facts, relax=""):
    from aiart_release.rules import scenarios

    pack = load_pack(_pack(tmp_path, CHECKED.replace("RELAX", relax)))
    raised, problems = scenarios([pack], facts, [])
    assert not problems and len(raised) == 1
    return raised[0]


def test_a_mitigation_in_place_is_reported_as_done_and_moves_no_tier_by_default(tmp_path):
    scenario = _raised(tmp_path, {"modality": ["image"], "undisclosed_outputs": 0,
                                  "gated": True})
    assert [m["mitigation"] for m in scenario["in_place"]] == ["Sign the samples", "Gate it"]
    assert scenario["in_place"][0]["because"] == ["undisclosed_outputs is 0 (= 0)"]
    assert scenario["mitigations"] == ["Ask the sitters"]
    assert scenario["min_tier"] == {"model": "gated"} and "relaxed_from" not in scenario


@pytest.mark.parametrize("facts, tier, done", [
    ({"undisclosed_outputs": 0, "gated": True}, "open", 2),
    ({"undisclosed_outputs": 0, "gated": False}, "gated", 1),
    ({"undisclosed_outputs": 3, "gated": True}, "gated", 1),
    # The credentials check did not run: nobody knows, so it is not in place.
    ({"gated": True}, "gated", 1),
])
def test_relaxes_to_lowers_the_tier_only_when_every_in_place_condition_holds(
        tmp_path, facts, tier, done):
    scenario = _raised(tmp_path, {"modality": ["image"], **facts},
                       relax="    relaxes_to: {model: open}\n")
    assert scenario["min_tier"] == {"model": tier}
    assert len(scenario.get("in_place", [])) == done
    assert ("relaxed_from" in scenario) == (tier == "open")
    if tier == "open":
        assert scenario["relaxed_from"] == {"model": "gated"}


def test_the_policy_lowers_what_the_rule_relaxed_and_asks_only_for_what_remains(tmp_path):
    from aiart_release.policy import decide, load_policy

    relax = "    relaxes_to: {model: open}\n"
    policy = load_policy()
    done = _raised(tmp_path, {"modality": ["image"], "undisclosed_outputs": 0, "gated": True},
                   relax)
    assert decide(policy, {}, [], ["model"], [done]).artifacts["model"].tier == "open"
    half = _raised(tmp_path, {"modality": ["image"], "undisclosed_outputs": 2, "gated": True},
                   relax)
    model = decide(policy, {}, [], ["model"], [half]).artifacts["model"]
    assert model.tier == "gated"
    assert model.to_lower == ["Sign the samples; Ask the sitters"]


@pytest.mark.parametrize("relax, mitigations, words", [
    ("    relaxes_to: {model: open}\n", "      - Ask the sitters\n",
     "relaxes_to needs at least one mitigation with an in_place condition"),
    ("    relaxes_to: {dataset: open}\n", None, "relaxes_to names dataset, which min_tier"),
    ("    relaxes_to: {model: closed}\n", None,
     "relaxes_to model: closed is stricter than min_tier model: gated"),
])
def test_a_relaxation_that_is_not_one_is_refused_at_its_line(cli, tmp_path, relax, mitigations,
                                                             words):
    text = CHECKED.replace("RELAX", relax)
    if mitigations:
        text = text.split("    mitigations:\n")[0] + "    mitigations:\n" + mitigations
    result = cli("rules", "validate", _pack(tmp_path, text))
    assert result.code == 2
    first = result.err.strip().splitlines()[0]
    assert first.startswith(f"{tmp_path / 'pack.yaml'}:10:17: misuse.mine: ") and words in first


@pytest.mark.parametrize("change, where, words", [
    (("{gated: true}", "{gated: {has: true}}"), "pack.yaml:14:19", "unknown operator 'has'"),
    (("      - text: Gate it\n", "      - txt: Gate it\n"), "pack.yaml:13:9", "text"),
])
def test_a_bad_mitigation_is_refused_at_its_line(cli, tmp_path, change, where, words):
    pack = _pack(tmp_path, CHECKED.replace("RELAX", "").replace(*change))
    result = cli("rules", "validate", pack)
    assert result.code == 2
    first = result.err.strip().splitlines()[0]
    assert first.startswith(str(tmp_path / where)) and words in first, first


def test_a_third_party_in_place_condition_may_name_only_declared_facts(tmp_path):
    from aiart_release.facts import declared_facts
    from aiart_release.plugins import build_registry
    from aiart_release.readers.yamlfile import DataFileError

    declared = declared_facts(build_registry().checks.values())
    pack = _pack(tmp_path, CHECKED.replace("RELAX", "").replace("undisclosed_outputs",
                                                                "undisclosed_output"))
    with pytest.raises(DataFileError) as info:
        load_pack(pack, "mine", facts=declared)
    assert info.value.problems == [
        f"{pack}:12:20: misuse.mine: unknown fact 'undisclosed_output' "
        "(did you mean 'undisclosed_outputs'?)"]


def test_a_fixture_can_say_what_is_in_place_and_which_tier_follows(cli, tmp_path):
    relax = "    relaxes_to: {model: open}\n"
    facts = {"modality": ["image"], "undisclosed_outputs": 0, "gated": True}
    pack = _pack(tmp_path, CHECKED.replace("RELAX", relax), {
        "misuse.mine/positive-done.json": {
            "facts": facts, "expect": {"min_tier": {"model": "open"},
                                       "in_place": ["sign", "gate"]}},
        "misuse.mine/positive-wrong-tier.json": {
            "facts": facts, "expect": {"min_tier": {"model": "gated"}}},
        "misuse.mine/positive-wrong-done.json": {
            "facts": facts, "expect": {"in_place": ["sign"]}},
        "misuse.mine/negative-audio.json": {"facts": {"modality": ["audio"]}},
    })
    result = cli("rules", "test", pack)
    assert result.code == 1
    assert "FAIL misuse.mine positive-wrong-tier.json" in result.out
    assert "expected min_tier {'model': 'gated'}, got {'model': 'open'}" in result.out
    assert "FAIL misuse.mine positive-wrong-done.json" in result.out
    assert "positive-done.json" not in result.out and "2/4 fixtures pass" in result.out


def test_signed_samples_a_gated_card_and_an_openrail_licence_show_as_done(cli, tmp_path):
    from test_media_credentials import TRAINED, jpeg, xmp_source

    card = ("---\nlicense: creativeml-openrail-m\npipeline_tag: text-to-image\n"
            "extra_gated_prompt: Agree not to impersonate anyone.\n---\n# m\n"
            "A LoRA for any celebrity likeness.\n")
    files = {
        "LICENSE": (EXAMPLES / "own-work" / "LICENSE").read_text(),
        "model/README.md": card,
        "model/w.safetensors": (2).to_bytes(8, "little") + b"{}",
        "samples/a.jpg": jpeg(xmp_source(TRAINED)),
    }
    report = cli("assess", make_bundle(tmp_path / "signed", files), "-f", "json").json()
    deepfake = next(s for s in report["scenarios"] if s["id"] == "misuse.deepfake-real-people")
    done = [m["mitigation"] for m in deepfake["in_place"]]
    assert [d.split(" (")[0] for d in done] == [
        "Gate the model", "Add use restrictions to the licence",
        "Embed content credentials"]
    assert not any("content credentials" in m for m in deepfake["mitigations"])
    # The weights still know the faces: the model stays gated.
    model = report["recommendation"]["artifacts"]["model"]
    assert model["tier"] == "gated" and deepfake["min_tier"] == {"model": "gated"}
    assert not any("content credentials" in t for t in model["to_lower"])

    files["samples/b.jpg"] = jpeg()  # one sample says nothing
    report = cli("assess", make_bundle(tmp_path / "half", files), "-f", "json").json()
    deepfake = next(s for s in report["scenarios"] if s["id"] == "misuse.deepfake-real-people")
    assert [m["mitigation"].split(" (")[0] for m in deepfake["in_place"]] == [
        "Gate the model", "Add use restrictions to the licence"]
    assert any("content credentials" in m for m in deepfake["mitigations"])


# --- validation remembered beside the cache ----------------------------------------

def _validations(monkeypatch) -> list[str]:
    """Record each time a document is validated with jsonschema."""
    from aiart_release.readers import yamlfile

    calls: list[str] = []
    real = yamlfile._validate_now

    def counting(loaded, schema_name):
        calls.append(schema_name)
        real(loaded, schema_name)

    monkeypatch.setattr(yamlfile, "_validate_now", counting)
    return calls


def test_a_valid_pack_is_validated_once_per_cache(tmp_path, monkeypatch):
    from aiart_release import cache
    from aiart_release.readers.yamlfile import DataFileError

    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    calls = _validations(monkeypatch)
    load_pack(BUILTIN)
    load_pack(BUILTIN)
    assert calls == ["rules.schema.json"]
    # Another document is validated anew; an invalid one is never remembered.
    changed = tmp_path / "changed.yaml"
    changed.write_text(BUILTIN.read_text(encoding="utf-8").replace(
        f'version: "{BUILTIN_VERSION}"', 'version: "9.9.9"'), encoding="utf-8")
    assert load_pack(changed).version == "9.9.9"
    broken = tmp_path / "broken.yaml"
    broken.write_text("pack: x\nversion: '1'\nrules: [{id: 3}]\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DataFileError):
            load_pack(broken)
    assert calls == ["rules.schema.json"] * 4


def test_without_a_cache_folder_every_load_is_validated(monkeypatch):
    from aiart_release import cache

    monkeypatch.setattr(cache, "_derived_root", None)
    calls = _validations(monkeypatch)
    load_pack(BUILTIN)
    load_pack(BUILTIN)
    assert calls == ["rules.schema.json"] * 2


def test_a_pack_read_again_is_remembered_and_still_places_its_problems(tmp_path, monkeypatch):
    """A rule pack is read on every run: its data is kept beside the result
    cache as JSON after the first parse (cache.derived), and the YAML
    position tree is built again only when a problem must be placed."""
    from aiart_release import cache
    from aiart_release.facts import declared_facts
    from aiart_release.plugins import build_registry
    from aiart_release.readers import yamlfile
    from aiart_release.readers.yamlfile import DataFileError

    monkeypatch.setattr(cache, "_derived_root", tmp_path / "derived")
    parsed = []
    real = yamlfile.load_yaml
    monkeypatch.setattr(yamlfile, "load_yaml", lambda *a, **k: parsed.append(1) or real(*a, **k))
    good = _pack(tmp_path, CHECKED.replace("RELAX", ""))
    first, again = load_pack(good, "mine"), load_pack(good, "mine")
    assert again == first and len(parsed) == 1  # the second from the kept JSON
    assert list((tmp_path / "derived" / "derived").iterdir())

    declared = declared_facts(build_registry().checks.values())
    (tmp_path / "bad").mkdir()
    bad = _pack(tmp_path / "bad", CHECKED.replace("RELAX", "").replace(
        "undisclosed_outputs", "undisclosed_output"))
    load_pack(bad, "mine")  # remembered: its conditions are well formed
    parsed.clear()
    with pytest.raises(DataFileError) as info:
        load_pack(bad, "mine", facts=declared)
    # Parsed again only to place the unknown fact at its line and column.
    assert info.value.problems == [
        f"{bad}:12:20: misuse.mine: unknown fact 'undisclosed_output' "
        "(did you mean 'undisclosed_outputs'?)"] and len(parsed) == 1


def test_a_pack_that_is_not_plain_json_data_is_parsed_every_time(tmp_path, monkeypatch):
    from aiart_release import cache
    from aiart_release.readers.yamlfile import load_remembered

    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    text = "pack: dated\nwhen: 2024-05-01\n"  # a YAML date: JSON would give a string
    for _ in range(2):
        assert load_remembered(text, "dated.yaml").data["when"].isoformat() == "2024-05-01"
