"""Declared facts: every fact has a name, a type and a meaning; the policy and
rule packs may name only declared facts (an error at file:line otherwise); a
check returns only the facts it declares; facts are frozen between stages;
`aiart-release facts` and docs/facts.md list them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext, Check
from aiart_release.config import Config
from aiart_release.facts import (
    CORE_FACTS,
    Fact,
    Facts,
    UndeclaredFact,
    declared_facts,
    facts_markdown,
    gather_facts,
)
from aiart_release.findings import Checkpoint
from aiart_release.plugins import build_registry
from aiart_release.policy import PolicyError, load_policy
from aiart_release.readers.yamlfile import DataFileError
from aiart_release.rules import load_pack, load_packs

BUILTIN_PACK = ROOT / "rules" / "misuse" / "builtin.yaml"
SHIPPED_POLICY = ROOT / "rules" / "policy.yaml"


def builtin_checks() -> list[Check]:
    return [c for c in build_registry().checks.values()
            if c.__module__.startswith("aiart_release.")]


@pytest.fixture(scope="module")
def declared():
    return declared_facts(builtin_checks())


# --- the registry and its documentation ---------------------------------------

def test_the_registry_holds_the_core_facts_and_those_checks_provide(declared):
    assert set(CORE_FACTS) <= set(declared)
    assert declared["commercial"].providers == ("core",)
    assert declared["personal_data"].providers == ("pii",)
    assert declared["personal_data"].fact.type is bool
    assert declared["people_identifiable"].fact.type_name == "int"
    assert declared["scraped"].providers == ("provenance",)
    assert declared["license_of"].providers == ("licenses",)


def test_docs_facts_md_lists_exactly_the_declared_facts(declared):
    text = (ROOT / "docs" / "facts.md").read_text("utf-8")
    table = re.search(r"<!-- facts:begin -->\n(.*)<!-- facts:end -->", text, re.S)
    assert table, "docs/facts.md has no <!-- facts:begin --> ... <!-- facts:end --> table"
    assert table.group(1) == facts_markdown(declared), (
        "docs/facts.md and the declared facts disagree: regenerate the table with "
        "`aiart-release facts --format markdown`")


def test_every_gathered_fact_is_declared_by_the_core():
    inventory = build_inventory(EXAMPLES / "portrait-sessions", build_registry().classify)
    facts = gather_facts(inventory, Config())
    assert set(facts.values) == set(CORE_FACTS)
    for name, value in facts.values.items():
        assert CORE_FACTS[name].accepts(value), (name, value)


@pytest.mark.parametrize("example", ["portrait-sessions", "forum-fanart", "nc-base-lora"])
def test_the_built_in_checks_provide_only_what_they_declare(example):
    registry = build_registry()
    inventory = build_inventory(EXAMPLES / example, registry.classify)
    for check in builtin_checks():
        facts = gather_facts(inventory, Config())
        before = set(facts.values)
        if check.scans_bundle:
            list(check.scan_bundle(BundleContext(inventory=inventory, facts=facts)))
        added = {k: v for k, v in facts.values.items() if k not in before}
        added.update(check.facts([]))
        # merged() with the check as provider raises on anything undeclared.
        Facts(config=Config()).merged(added, provider=check)


# --- the policy and rule packs name only declared facts ------------------------

def test_the_shipped_policy_and_rule_pack_name_only_declared_facts(declared):
    assert load_policy(SHIPPED_POLICY, facts=declared).lines
    assert load_pack(BUILTIN_PACK, "misuse", facts=declared).rules


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


POLICY = """\
version: 1
lines:
  - id: no-faces
    when:
      any:
        - finding: {id: "pii.*"}
        - not:
            personal_dta: true
    tier: gated
    artifacts: [dataset]
    because: b
    to_lower: t
"""


def test_a_policy_naming_an_undeclared_fact_is_an_error_at_its_line(tmp_path, declared):
    path = write(tmp_path, "policy.yaml", POLICY)
    with pytest.raises(PolicyError) as info:
        load_policy(path, facts=declared)
    assert str(info.value) == (f"{path}:8:13: line 'no-faces': unknown fact 'personal_dta' "
                               "(did you mean 'personal_data'?)")


def test_without_declared_facts_a_policy_is_not_checked_for_them(tmp_path):
    assert load_policy(write(tmp_path, "policy.yaml", POLICY)).lines


@pytest.mark.parametrize("condition", [
    "{release.dataset: open}", "{files.image: {gte: 1}}", "{text: {any: [deepfake]}}",
    "{finding: pii.email-address}", "{all: [{commercial: true}, {not: {minors: true}}]}",
])
def test_declared_and_dotted_facts_are_accepted(tmp_path, declared, condition):
    text = POLICY.replace("      any:\n        - finding: {id: \"pii.*\"}\n        - not:\n"
                          "            personal_dta: true\n", f"      {condition}\n")
    assert load_policy(write(tmp_path, "policy.yaml", text), facts=declared).lines


def test_a_disabled_line_may_name_an_undeclared_fact(tmp_path, declared):
    text = POLICY.replace("    tier: gated\n", "    tier: gated\n    disabled: true\n")
    policy = load_policy(write(tmp_path, "policy.yaml", text), facts=declared)
    assert "no-faces" not in [line.id for line in policy.lines]


PACK = """\
pack: house
version: "1"
rules:
  - id: misuse.house
    title: House rule
    when:
      all:
        - modality: image
        - relase.dataset: open
    likelihood: low
    impact: low
    mitigations: [gate it]
"""


def test_a_rule_pack_naming_an_undeclared_dotted_fact_is_an_error_at_its_line(
        tmp_path, declared):
    path = write(tmp_path, "house.yaml", PACK)
    with pytest.raises(DataFileError) as info:
        load_pack(path, "house", facts=declared)
    assert str(info.value) == (f"{path}:9:11: misuse.house: unknown fact 'relase' "
                               "(did you mean 'release'?)")
    packs, problems = load_packs([("house", path)], facts=declared)
    assert packs == [] and problems[0].problems == [str(info.value)]


def test_a_fact_like_nothing_declared_points_at_the_facts_command(declared):
    assert declared.unknown("zzz") == (
        "unknown fact 'zzz' (`aiart-release facts` lists the declared facts)")
    assert declared.unknown("license_of.model") is None


# --- a check returns only the facts it declares ----------------------------------

class Counter(Check):
    id = "counter"
    checkpoint = Checkpoint.DATASET
    provides = {"faces": Fact(int, "faces seen"), "personal_data": Fact(bool, "people")}

    def scan_bundle(self, ctx):
        return ()


def test_merging_a_checks_facts_checks_them_against_its_declaration():
    facts = Facts(config=Config(), values={"personal_data": False})
    merged = facts.merged({"faces": 2, "personal_data": True}, provider=Counter())
    assert merged.values == {"faces": 2, "personal_data": True}
    with pytest.raises(UndeclaredFact, match="'counter' returned fact.*does not declare.*: "
                                             "facez"):
        facts.merged({"facez": 2}, provider=Counter())
    with pytest.raises(UndeclaredFact, match=r"faces \(declared int, got bool\)"):
        facts.merged({"faces": True}, provider=Counter())


def test_two_checks_may_provide_one_fact_and_the_first_declaration_describes_it():
    class Other(Counter):
        id = "another"
        provides = {"faces": Fact(int, "faces, counted otherwise")}

    declared = declared_facts([Counter(), Other()])
    assert declared["faces"].providers == ("another", "counter")
    assert declared["faces"].fact.meaning == "faces, counted otherwise"
    assert declared["personal_data"].providers == ("counter",)


@pytest.mark.parametrize("provides", [
    {"faces": int}, {"faces": Fact(int, "")}, {"two words": Fact(int, "x")}, ["faces"],
])
def test_a_check_with_a_malformed_declaration_is_a_plugin_failure(provides):
    class Bad(Counter):
        id = "bad-facts"

    Bad.provides = provides

    class Plugin:
        from aiart_release import hookimpl

        @hookimpl
        def aiart_release_register_checks(self, register):
            register(Bad())

    registry = build_registry(extra=[("bad", Plugin())])
    assert "bad-facts" not in registry.checks
    assert [f.stage for f in registry.failures if f.plugin == "bad"] == ["register_checks"]


# --- facts are frozen between stages ----------------------------------------------

def test_facts_are_frozen_and_merging_returns_a_new_value():
    facts = Facts(config=Config(), values={"minors": False, "people_identifiable": 2,
                                           "licenses": ["MIT"]})
    with pytest.raises(TypeError):
        facts.values["minors"] = True  # type: ignore[index]
    with pytest.raises(AttributeError):
        facts.values = {}  # type: ignore[misc]
    merged = facts.merged({"minors": True, "people_identifiable": 3,
                           "licenses": ["Apache-2.0"], "scraped": False})
    assert dict(merged.values) == {"minors": True, "people_identifiable": 5,
                                   "licenses": ["Apache-2.0", "MIT"], "scraped": False}
    assert dict(facts.values) == {"minors": False, "people_identifiable": 2,
                                  "licenses": ["MIT"]}


# --- aiart-release facts -------------------------------------------------------------

def test_the_facts_command_lists_name_type_meaning_and_provider(cli):
    result = cli("facts")
    assert result.code == 0
    row = next(line for line in result.out.splitlines() if " personal_data " in line)
    assert "bool" in row and "pii" in row and "personal data" in row
    rows = cli("facts", "--format", "json").json()
    by_name = {r["fact"]: r for r in rows}
    assert by_name["commercial"] == {"fact": "commercial", "type": "bool",
                                     "meaning": CORE_FACTS["commercial"].meaning,
                                     "provider": "core"}
    assert by_name["scraped"]["provider"] == "provenance"
    markdown = cli("facts", "-f", "markdown").out
    assert markdown.startswith("| fact | type | meaning | provider |\n")
    assert "| `minors` | bool |" in markdown
    assert json.dumps(rows)  # plain data


def test_provided_facts_holds_a_check_to_its_declaration():
    class Sloppy(Counter):
        id = "sloppy"

        def facts(self, findings):
            return {"faces": 1, "personal_dta": True}

    assert Counter().provided_facts([]) == {}
    with pytest.raises(UndeclaredFact, match="personal_dta"):
        Sloppy().provided_facts([])


def test_the_pipeline_derives_facts_as_a_new_value():
    from aiart_release.pipeline import derive_facts

    declared = Facts(config=Config(), values={"personal_data": False})
    derived = derive_facts(declared, [(Counter(), {"personal_data": True, "faces": 3})])
    assert dict(derived.values) == {"personal_data": True, "faces": 3}
    assert dict(declared.values) == {"personal_data": False}


def test_a_bundle_check_hands_facts_back_and_the_given_facts_never_change(tmp_path):
    from aiart_release.bundle import build_inventory
    from aiart_release.checks import BundleContext
    from aiart_release.config import load_config
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    (tmp_path / "LICENSE").write_text("SPDX-License-Identifier: MIT\n")
    registry = build_registry()
    inventory = build_inventory(tmp_path, registry.classify)
    facts = gather_facts(inventory, load_config(tmp_path))
    before = dict(facts.values)
    ctx = BundleContext(inventory=inventory, facts=facts)
    list(registry.checks["licenses"].scan_bundle(ctx))
    assert ctx.provided["licenses"] == ["MIT"]
    assert dict(facts.values) == before
    assert not hasattr(facts, "update")


def test_disabling_a_builtin_plugin_leaves_the_builtin_rule_pack_whole(tmp_path):
    # The pii check provides people_identifiable; without it the fact is
    # absent, not misspelt: the built-in pack still loads, nothing fails.
    import json
    import os
    import subprocess

    from conftest import TOOL

    (tmp_path / "notes.txt").write_text("hello\n")
    env = {**os.environ, "AIART_RELEASE_DISABLE_PLUGINS": "personal-data"}
    out = subprocess.run([str(TOOL), "assess", str(tmp_path), "-f", "json", "--no-cache"],
                         capture_output=True, text=True, env=env, timeout=120).stdout
    ids = {f["id"] for f in json.loads(out)["findings"]}
    assert not any(i.startswith("plugin.") for i in ids)
