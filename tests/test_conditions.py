"""Conditions over facts and findings (aiart_release/conditions.py), the
small language the policy and the misuse rules are written in.

Tables of should-hold / should-not-hold cases for each operator, the
``finding:`` matcher, nesting, the ``because`` words a user reads in the
report, and conditions that are malformed.
"""

from __future__ import annotations

import pytest

from aiart_release.conditions import ConditionError, check, compare, evaluate, lookup
from aiart_release.findings import Checkpoint, Finding, Location, Severity

FACTS = {
    "modality": ["image", "audio"],
    "people_identifiable": 3,
    "commercial": True,
    "pipeline": "Text-To-Image",
    "release": {"model": "open", "dataset": "gated"},
    "files": {"image": 40, "text": 40},
    "tags": [],
    "declared_nothing": None,
    "a.b": "flat key with a dot",
}


def finding(id: str, severity: str = "medium", artifact: str = "dataset", count=None,
            check: str = "pii", path: str = "data/captions.csv") -> Finding:
    return Finding(id=id, severity=Severity(severity), message="m", location=Location(path),
                   count=count).with_defaults(check=check, checkpoint=Checkpoint.DATASET,
                                              artifact=artifact)


FINDINGS = [
    finding("pii.email-address", "high", count=12),
    finding("pii.person-name", "medium"),
    finding("docs.license-missing", "high", artifact="docs", check="license-presence",
            path="."),
    finding("model.pickle-import", "critical", artifact="model", check="model-safety",
            path="model/w.ckpt"),
]


def holds(cond, facts=FACTS, findings=FINDINGS) -> bool:
    return evaluate(cond, facts, findings).holds


# --- facts and operators ------------------------------------------------------

FACT_TABLE = [
    # plain value: equality, case-insensitive for strings
    ({"commercial": True}, True),
    ({"commercial": False}, False),
    ({"pipeline": "text-to-image"}, True),
    ({"pipeline": "image-to-image"}, False),
    # a list fact compared with a scalar means "contains"
    ({"modality": "image"}, True),
    ({"modality": "IMAGE"}, True),
    ({"modality": "video"}, False),
    ({"modality": {"eq": "audio"}}, True),
    ({"modality": {"ne": "video"}}, True),
    ({"modality": {"ne": "image"}}, False),
    ({"people_identifiable": {"ne": 3}}, False),
    # in: the fact (or one of its items) is among the options
    ({"pipeline": {"in": ["text-to-image", "image-to-image"]}}, True),
    ({"pipeline": {"in": ["text-to-video"]}}, False),
    ({"modality": {"in": ["video", "audio"]}}, True),
    ({"modality": {"in": ["video", "text"]}}, False),
    # any / all / none of the listed values are in the fact
    ({"modality": {"any": ["video", "audio"]}}, True),
    ({"modality": {"any": ["video", "text"]}}, False),
    ({"modality": {"all": ["image", "audio"]}}, True),
    ({"modality": {"all": ["image", "video"]}}, False),
    ({"modality": {"none": ["video", "text"]}}, True),
    ({"modality": {"none": ["video", "image"]}}, False),
    ({"pipeline": {"any": "text-to-image"}}, True),  # scalars on both sides
    # numbers
    ({"people_identifiable": {"gte": 3}}, True),
    ({"people_identifiable": {"gte": 4}}, False),
    ({"people_identifiable": {"gt": 2}}, True),
    ({"people_identifiable": {"gt": 3}}, False),
    ({"people_identifiable": {"lte": 3}}, True),
    ({"people_identifiable": {"lte": 2}}, False),
    ({"people_identifiable": {"lt": 4}}, True),
    ({"people_identifiable": {"lt": 3}}, False),
    ({"people_identifiable": {"gte": 1, "lt": 10}}, True),  # several operators: all hold
    ({"people_identifiable": {"gte": 1, "lt": 3}}, False),
    # numeric operators on a list or mapping compare its length
    ({"modality": {"gte": 2}}, True),
    ({"modality": {"gt": 2}}, False),
    ({"tags": {"lt": 1}}, True),
    # comparing a number with a string is simply false, not an error
    ({"people_identifiable": {"gte": "many"}}, False),
    ({"pipeline": {"gt": 3}}, False),
    # dotted names reach into mappings; a flat key with a dot is found first
    ({"release.model": "open"}, True),
    ({"release.dataset": {"in": ["gated", "closed"]}}, True),
    ({"release.code": "open"}, False),
    ({"files.image": {"gte": 40}}, True),
    ({"a.b": "flat key with a dot"}, True),
    # exists: present and not null
    ({"commercial": {"exists": True}}, True),
    ({"release.code": {"exists": False}}, True),
    ({"release.code": {"exists": True}}, False),
    ({"declared_nothing": {"exists": True}}, False),
    ({"declared_nothing": {"exists": False}}, True),
    ({"tags": {"exists": True}}, True),  # an empty list is still a declared fact
    # a missing (or null) fact matches only ne and none
    ({"not_a_fact": True}, False),
    ({"not_a_fact": {"eq": None}}, False),
    ({"not_a_fact": {"ne": 1}}, True),
    ({"not_a_fact": {"none": ["x"]}}, True),
    ({"not_a_fact": {"in": [1, 2]}}, False),
    ({"not_a_fact": {"any": [1]}}, False),
    ({"not_a_fact": {"gte": 0}}, False),
    ({"declared_nothing": {"lt": 1}}, False),
]


@pytest.mark.parametrize("cond, expected", FACT_TABLE, ids=[repr(c) for c, _ in FACT_TABLE])
def test_fact_conditions(cond, expected):
    outcome = evaluate(cond, FACTS, [])
    assert outcome.holds is expected
    # A fact condition never claims findings.
    assert outcome.findings == []


@pytest.mark.parametrize("op, value, expected, result", [
    ("eq", ["a", "b"], "B", True),
    ("eq", 1, 1, True),
    ("eq", "x", ["x"], False),  # a scalar fact is not "in" a list via eq; use `in`
    ("in", "x", "x", True),  # a scalar option is a one-item list
    ("all", "x", ["x"], True),
    ("none", [], ["x"], True),
    ("gte", {"a": 1, "b": 2}, 2, True),  # a mapping's length
])
def test_compare(op, value, expected, result):
    assert compare(op, value, expected) is result


def test_lookup_distinguishes_missing_from_null():
    assert lookup({"a": None}, "a") is None
    missing = lookup({}, "a")
    assert missing is not None and missing == lookup({"a": {}}, "a.b")
    assert lookup({"a": {"b": {"c": 5}}}, "a.b.c") == 5


def test_an_unknown_operator_raises():
    with pytest.raises(ConditionError, match="unknown operator 'equals' for fact 'x'"):
        evaluate({"x": {"equals": 3}}, {"x": 3}, [])
    with pytest.raises(ConditionError, match="unknown operator 'between'"):
        compare("between", 3, [1, 5])


# --- findings ------------------------------------------------------------------

FINDING_TABLE = [
    # id: a glob, or a list of globs; a bare string is an id glob
    ({"finding": "pii.*"}, ["pii.email-address", "pii.person-name"]),
    ({"finding": {"id": "pii.email-address"}}, ["pii.email-address"]),
    ({"finding": {"id": "pii.*-name"}}, ["pii.person-name"]),
    ({"finding": {"id": ["sensitive.*", "docs.*"]}}, ["docs.license-missing"]),
    ({"finding": {"id": "PII.*"}}, None),  # ids are case-sensitive
    ({"finding": {"id": "pii"}}, None),  # a glob matches the whole id
    ({"finding": {"id": "sensitive.*"}}, None),
    ({"finding": {}}, [f.id for f in FINDINGS]),  # no id: any finding
    # severity: exactly, or with an operator
    ({"finding": {"id": "pii.*", "severity": "high"}}, ["pii.email-address"]),
    ({"finding": {"id": "pii.*", "severity": "HIGH"}}, ["pii.email-address"]),
    ({"finding": {"id": "pii.*", "severity": {"gte": "medium"}}},
     ["pii.email-address", "pii.person-name"]),
    ({"finding": {"severity": {"gt": "high"}}}, ["model.pickle-import"]),
    ({"finding": {"id": "pii.*", "severity": {"lt": "medium"}}}, None),
    ({"finding": {"id": "pii.*", "severity": {"in": ["low", "medium"]}}}, ["pii.person-name"]),
    ({"finding": {"id": "pii.*", "severity": "critical"}}, None),
    # artifact: one or a list
    ({"finding": {"artifact": "model"}}, ["model.pickle-import"]),
    ({"finding": {"artifact": ["docs", "model"]}},
     ["docs.license-missing", "model.pickle-import"]),
    ({"finding": {"id": "pii.*", "artifact": "code"}}, None),
    # check
    ({"finding": {"check": "license-presence"}}, ["docs.license-missing"]),
    ({"finding": {"id": "pii.*", "check": "cards"}}, None),
    # count: occurrences, where one finding may stand for many (count=12)
    ({"finding": {"id": "pii.email-address", "count": {"gte": 10}}}, ["pii.email-address"]),
    ({"finding": {"id": "pii.email-address", "count": {"gte": 13}}}, None),
    ({"finding": {"id": "pii.*", "count": 13}}, ["pii.email-address", "pii.person-name"]),
    ({"finding": {"id": "pii.person-name", "count": {"gt": 1}}}, None),
    # count 0 holds when nothing matches
    ({"finding": {"id": "sensitive.*", "count": 0}}, []),
    ({"finding": {"id": "pii.*", "count": {"lt": 1}}}, None),
]


@pytest.mark.parametrize("cond, matched", FINDING_TABLE, ids=[repr(c) for c, _ in FINDING_TABLE])
def test_finding_conditions(cond, matched):
    outcome = evaluate(cond, FACTS, FINDINGS)
    if matched is None:
        assert not outcome.holds
        assert outcome.findings == [] and outcome.because == []
    else:
        assert outcome.holds
        assert sorted(f.id for f in outcome.findings) == sorted(matched)


def test_a_finding_condition_without_findings_does_not_hold():
    assert not holds({"finding": "pii.*"}, findings=[])
    assert not holds({"finding": {}}, findings=[])


@pytest.mark.parametrize("cond, message", [
    ({"finding": {"idd": "pii.*"}}, "unknown key(s) in 'finding': idd"),
    ({"finding": {"id": "pii.*", "sev": "high", "where": "x"}},
     "unknown key(s) in 'finding': sev, where"),
    ({"finding": 3}, "'finding' takes an id glob or a mapping"),
    ({"finding": {"id": "pii.*", "severity": {"gtee": "high"}}}, "unknown operator 'gtee'"),
    ({"finding": {"id": "pii.*", "count": {"atleast": 1}}}, "unknown operator 'atleast'"),
    # Was a bug: a plain ValueError from Severity.parse escaped, which the policy
    # did not catch (an internal error instead of a policy error).
    ({"finding": {"id": "pii.*", "severity": "hgh"}}, "unknown severity 'hgh'"),
    ({"finding": {"id": "pii.*", "severity": {"gte": "severe"}}}, "unknown severity 'severe'"),
    ({"finding": {"id": "pii.*", "severity": {"in": ["high", "hi"]}}}, "unknown severity 'hi'"),
])
def test_malformed_finding_conditions_raise(cond, message):
    with pytest.raises(ConditionError) as info:
        evaluate(cond, FACTS, FINDINGS)
    assert message in str(info.value)


# Was a bug (fixed): see git history.
def test_a_finding_id_that_is_not_a_glob_raises_condition_error():
    with pytest.raises(ConditionError):
        evaluate({"finding": {"id": 5}}, FACTS, FINDINGS)


def test_evaluation_checks_only_what_it_reaches():
    # evaluate() is lazy: a bad operator behind a failing branch goes unseen.
    # That is why policies and rule packs are validated with check() on load.
    cond = {"all": [{"commercial": False}, {"modality": {"containz": "image"}}]}
    assert not holds(cond)
    with pytest.raises(ConditionError, match="containz"):
        check(cond)


# --- check(): validation without data ---------------------------------------------

MALFORMED = [
    ({"commercial": {"eq": False, "bogus": 1}}, "when.commercial: unknown operator 'bogus'"),
    ({"all": [{"commercial": False}, {"modality": {"containz": "image"}}]},
     "when.all[1].modality: unknown operator 'containz'"),
    ({"not": {"any": [{"a": 1}, {"b": {"gtee": 2}}]}}, "when.not.any[1].b: unknown operator"),
    ({"finding": {"id": "sensitive.*", "severity": {"gtee": "high"}}},
     "when.finding.severity: unknown operator 'gtee'"),
    ({"finding": {"id": "sensitive.*", "severity": "hgh"}}, "unknown severity 'hgh'"),
    ({"finding": {"id": "x", "sev": "high"}}, "when.finding: unknown key(s) sev"),
    ({"finding": 3}, "when.finding: takes an id glob or a mapping"),
    ({"all": []}, "'all' takes a non-empty list"),
    ({}, "non-empty mapping"),
    ({"not": "commercial"}, "non-empty mapping"),
]


@pytest.mark.parametrize("cond, message", MALFORMED, ids=[m[:40] for _, m in MALFORMED])
def test_check_rejects_a_malformed_condition_whatever_the_data(cond, message):
    with pytest.raises(ConditionError) as info:
        check(cond)
    assert message in str(info.value)


def test_check_names_where_the_problem_is():
    with pytest.raises(ConditionError, match=r"^line 'x': when\.any\[0\]\.n: "):
        check({"any": [{"n": {"nope": 1}}]}, "line 'x': when")


WELL_FORMED = [c for c, _ in FACT_TABLE] + [c for c, _ in FINDING_TABLE]


@pytest.mark.parametrize("cond", WELL_FORMED, ids=[repr(c)[:60] for c in WELL_FORMED])
def test_check_accepts_every_well_formed_condition(cond):
    check(cond)  # raises on a problem


# Was a bug (fixed): see git history.
@pytest.mark.parametrize("cond", [
    {"finding": {"id": "pii.*", "count": {"atleast": 1}}},
    {"finding": {"id": 5}},
])
def test_check_rejects_bad_count_operators_and_ids(cond):
    with pytest.raises(ConditionError):
        check(cond)


# --- all / any / not -------------------------------------------------------------

NESTING_TABLE = [
    ({"all": [{"commercial": True}, {"finding": "pii.*"}]}, True),
    ({"all": [{"commercial": True}, {"finding": "sensitive.*"}]}, False),
    ({"any": [{"commercial": False}, {"finding": "sensitive.*"}]}, False),
    ({"any": [{"commercial": False}, {"finding": "docs.*"}]}, True),
    ({"not": {"finding": "sensitive.*"}}, True),
    ({"not": {"commercial": True}}, False),
    ({"not": {"not": {"commercial": True}}}, True),
    # several keys in one mapping must all hold
    ({"commercial": True, "modality": "image"}, True),
    ({"commercial": True, "modality": "video"}, False),
    ({"commercial": True, "finding": {"id": "pii.*", "severity": "critical"}}, False),
    # deeper
    ({"all": [{"any": [{"modality": "video"}, {"modality": "audio"}]},
              {"not": {"any": [{"finding": "sensitive.*"}, {"release.model": "closed"}]}}]},
     True),
    ({"any": [{"all": [{"commercial": True}, {"people_identifiable": {"gte": 5}}]},
              {"all": [{"commercial": False}, {"finding": "pii.*"}]}]}, False),
]


@pytest.mark.parametrize("cond, expected", NESTING_TABLE,
                         ids=[repr(c)[:70] for c, _ in NESTING_TABLE])
def test_nesting(cond, expected):
    assert holds(cond) is expected


def test_any_collects_the_findings_of_every_branch_that_held():
    outcome = evaluate({"any": [{"finding": "pii.email-address"}, {"finding": "sensitive.*"},
                                {"finding": "model.*"}]}, FACTS, FINDINGS)
    assert [f.id for f in outcome.findings] == ["pii.email-address", "model.pickle-import"]


def test_a_finding_matched_twice_is_listed_once():
    outcome = evaluate({"all": [{"finding": "pii.*"}, {"finding": {"severity": "high"}}]},
                       FACTS, FINDINGS)
    assert [f.id for f in outcome.findings] == [
        "pii.email-address", "pii.person-name", "docs.license-missing"]


@pytest.mark.parametrize("cond, message", [
    ({}, "non-empty mapping"),
    ([], "non-empty mapping"),
    ("commercial", "non-empty mapping"),
    ({"all": []}, "'all' takes a non-empty list"),
    ({"any": {"commercial": True}}, "'any' takes a non-empty list"),
    ({"all": "commercial"}, "'all' takes a non-empty list"),
    ({"not": []}, "non-empty mapping"),
    ({"any": [{"commercial": True}, {"x": {"bad": 1}}]}, "unknown operator 'bad'"),
])
def test_malformed_structure_raises(cond, message):
    with pytest.raises(ConditionError, match=message.replace("(", r"\(")):
        evaluate(cond, FACTS, FINDINGS)


# --- because -----------------------------------------------------------------------

def test_because_names_the_fact_its_value_and_the_test():
    outcome = evaluate({"people_identifiable": {"gte": 1}}, FACTS, [])
    assert outcome.because == ["people_identifiable is 3 (≥ 1)"]
    outcome = evaluate({"modality": "image"}, FACTS, [])
    assert outcome.because == ["modality is [image, audio] (= image)"]
    outcome = evaluate({"release.code": {"exists": False}}, FACTS, [])
    assert outcome.because == ["release.code is absent (exists False)"]


def test_because_names_the_finding_ids_once_each():
    outcome = evaluate({"finding": "pii.*"}, FACTS, FINDINGS + [finding("pii.email-address")])
    assert outcome.because == ["finding pii.email-address, pii.person-name at data/captions.csv"]


def test_because_of_all_lists_every_part_and_any_only_what_held():
    outcome = evaluate({"all": [{"commercial": True}, {"finding": "docs.*"}]}, FACTS, FINDINGS)
    assert outcome.because == ["commercial", "finding docs.license-missing at ."]
    outcome = evaluate({"any": [{"commercial": False}, {"finding": "model.*"}]}, FACTS, FINDINGS)
    assert outcome.because == ["finding model.pickle-import at model/w.ckpt"]


def test_because_of_a_count_zero_says_there_was_none():
    outcome = evaluate({"finding": {"id": "sensitive.*", "count": 0}}, FACTS, FINDINGS)
    assert outcome.because == ["finding no finding sensitive.*"]


def test_a_condition_that_does_not_hold_gives_no_reasons():
    outcome = evaluate({"all": [{"commercial": True}, {"modality": "video"}]}, FACTS, FINDINGS)
    assert (outcome.holds, outcome.because, outcome.findings) == (False, [], [])


def test_long_lists_are_shortened_in_because():
    outcome = evaluate({"seen": "a"}, {"seen": list("abcdefgh")}, [])
    assert outcome.because == ["seen is [a, b, c, d, e, …] (= a)"]


@pytest.mark.parametrize("cond, because", [
    # Was a bug: every `not` read "not (not)" and named nothing.
    ({"not": {"finding": "sensitive.*"}}, ["not (finding sensitive.*)"]),
    ({"not": {"commercial": False}}, ["not (commercial = False)"]),
    ({"not": {"any": [{"finding": {"id": ["a.*", "b.*"]}}, {"people_identifiable": {"gte": 9}}]}},
     ["not ((finding a.*/b.* or people_identifiable ≥ 9))"]),
])
def test_because_of_not_names_what_was_negated(cond, because):
    outcome = evaluate(cond, FACTS, FINDINGS)
    assert outcome.holds
    assert outcome.because == because


def test_finding_context_names_a_context_or_a_group():
    from dataclasses import replace

    comment = replace(finding("pii.person-name"), context="code-comment")
    caption = replace(finding("pii.person-name"), context="caption")
    unsaid = finding("pii.person-name")  # a check that did not say
    cond = {"finding": {"id": "pii.*", "context": "data"}}
    assert evaluate(cond, FACTS, [caption]).holds
    assert evaluate(cond, FACTS, [unsaid]).holds
    assert not evaluate(cond, FACTS, [comment]).holds
    assert evaluate({"finding": {"context": ["code", "prose"]}}, FACTS, [comment]).holds
    assert evaluate({"finding": {"context": "code-comment"}}, FACTS, [comment]).holds


def test_an_unknown_context_is_refused_at_load():
    with pytest.raises(ConditionError, match="unknown context 'captions'"):
        check({"finding": {"id": "pii.*", "context": "captions"}})


# --- text: a cue word read in its sentence ------------------------------------------

def says(card_text: str, *cues: str) -> bool:
    return evaluate({"text": {"any": list(cues)}}, {"card_text": card_text}, []).holds


@pytest.mark.parametrize("card_text, cue", [
    ("the dataset contains nsfw images.", "nsfw"),
    ("this dataset contains nsfw (not safe for work) images.", "nsfw"),  # the acronym's expansion
    ("a lora for any celebrity likeness", "celebrity"),
    ("swap any face in a video: deepfakes in one click.", "deepfakes"),
    # the keeping-out fell short: every mention in the sentence counts
    ("although the model has an nsfw filter that blurs nsfw images, this filter is not "
     "perfect\u2014the dataset still contains some nsfw images.", "nsfw"),
    ("we filtered nsfw images, but some may remain.", "nsfw"),
    ("there is no nsfw filter.", "nsfw"),
    ("nsfw images were not removed.", "nsfw"),
    ("trained on unfiltered laion, it produces nudity.", "nudity"),
    # a filter recommended in another clause does not take the content out
    ("it can generate nudity, so we recommend a safety filter.", "nudity"),
    # a denial in an earlier sentence stays there
    ("we never collected names. the data holds nude photographs.", "nude"),
    # an aside in brackets is not the cue's clause: its "none" denies nothing
    ("the data holds nude photographs (none of them of minors).", "nude"),
    # negations of something else than the cue
    ("it makes nude images of anyone without their consent.", "nude"),
    ("deepfakes of not only celebrities.", "deepfakes"),
])
def test_a_cue_the_card_says_the_release_holds_counts(card_text, cue):
    assert says(card_text, cue)


@pytest.mark.parametrize("card_text, cue", [
    ("we filtered out nsfw images.", "nsfw"),
    ("for the released version we've additionally filtered prompts and images for nsfw "
     "content. after nsfw filtering, the dataset contains 451,990 examples. download the "
     "entire nsfw-filtered text data.", "nsfw"),
    ("a classifier detects deepfakes.", "deepfakes"),
    ("research opportunities in understanding prompts, detecting deepfakes, and designing "
     "tools.", "deepfakes"),
    ("do not use it to create nudity.", "nudity"),
    ("you must not use the model to make deepfakes of real people.", "deepfakes"),
    ("the dataset doesn't contain nudity.", "nudity"),
    ("the dataset is free of nudity.", "nudity"),
    ("an nsfw-free dataset.", "nsfw"),
    ("we removed nudity, gore and violence.", "violence"),
    ("the server has rules against sharing nsfw images.", "nsfw"),
    ("images flagged as nsfw were blurred.", "nsfw"),
    ("we removed (as the licence asks) every nude photograph.", "nude"),
    # a link's text is part of the sentence; its address is an aside
    ("nsfw images are sent to [a classifier](https://example.org/c).", "nsfw"),
])
def test_a_cue_the_card_filters_forbids_or_denies_does_not_count(card_text, cue):
    assert not says(card_text, cue)
    # Read literally, the same words hold.
    assert evaluate({"text": {"any": [cue], "literal": True}}, {"card_text": card_text},
                    []).holds


def test_a_cue_listed_under_a_heading_of_forbidden_uses_does_not_count():
    """A model card's "Misuse and Malicious Use" section lists what the
    model must not make: its items are forbidden uses, not what the release
    holds (Stable Diffusion's card gave a dataset misuse.explicit-material-in-data
    from "- Sexual content without consent of the people who might see it")."""
    card = ("# a text-to-image model\n\nit makes pictures.\n\n### misuse and malicious use\n"
            "using the model to generate content that is cruel is a misuse:\n\n"
            "- sexual content without consent of the people who might see it.\n"
            "- impersonating individuals.\n")
    assert not says(card, "sexual content")
    for heading in ("## out-of-scope use", "## prohibited uses", "### you must not",
                    "## use restrictions"):
        assert not says(f"# card\n{heading}\n- nudity\n", "nudity"), heading
    # The next section is read as usual, and so is a section of another name.
    assert says(card + "\n## limitations\n\nthe dataset contains sexual content.\n",
                "sexual content")
    assert says("# data\n## content\n- nudity and sexual content\n", "nudity")
    # An access restriction is no forbidden use: the section says what the data holds.
    assert says("# data\n## access restrictions\nthe dataset contains nudity; adults only.\n",
                "nudity")


def test_one_mention_that_counts_is_enough_and_none_reads_the_same_way():
    card = "we filtered out nsfw prompts. some nsfw images are in the data."
    assert says(card, "nsfw")
    assert not evaluate({"text": {"none": ["nsfw"]}}, {"card_text": card}, []).holds
    filtered = {"card_text": "we filtered out nsfw prompts."}
    assert evaluate({"text": {"none": ["nsfw"]}}, filtered, []).holds
    assert not evaluate({"text": {"none": ["nsfw"], "literal": True}}, filtered, []).holds
    assert not evaluate({"text": {"all": ["nsfw", "nudity"]}},
                        {"card_text": "it shows nudity; nsfw images were removed."}, []).holds


def test_a_regular_expression_match_is_read_in_its_sentence_too():
    cond = {"text": {"matches": "deep ?fakes?"}}
    assert not evaluate(cond, {"card_text": "a detector of deepfakes."}, []).holds
    assert evaluate(cond, {"card_text": "make deep fakes of anyone."}, []).holds
    literal = {"text": {"matches": "deep ?fakes?", "literal": True}}
    assert evaluate(literal, {"card_text": "a detector of deepfakes."}, []).holds


@pytest.mark.parametrize("cond, message", [
    ({"text": {"any": ["x"], "literal": "yes"}}, "literal"),
    ({"text": {"literal": True}}, "needs one of"),
])
def test_literal_is_checked_when_the_pack_loads(cond, message):
    with pytest.raises(ConditionError, match=message):
        check(cond)
    with pytest.raises(ConditionError, match=message):
        evaluate(cond, {"card_text": "x"}, [])


def test_a_card_of_endless_filtered_mentions_is_read_in_bounded_time():
    import time

    # A megabyte of mentions, each filtered, in one sentence with no end:
    # reading every one in its sentence would take minutes. Past
    # MAX_MENTIONS the cue counts (the cautious reading).
    card = "we filtered nsfw " * 60_000
    started = time.perf_counter()
    assert says(card, "nsfw")
    assert time.perf_counter() - started < 10
    assert not says("we filtered nsfw " * 50, "nsfw")


def test_the_sentence_patterns_are_compiled_only_when_a_card_is_read():
    """A run with no card text (a pre-commit hook on one caption) never
    compiles the patterns that read a cue in its sentence."""
    import subprocess
    import sys

    code = ("import re\n"
            "compiled = []\n"
            "real = re._compile\n"
            "re._compile = lambda p, f: compiled.append(p) or real(p, f)\n"
            "from aiart_release import conditions\n"
            "n = len(compiled)\n"
            "conditions.evaluate({'text': {'any': ['nsfw']}}, {'card_text': ''}, [])\n"
            "quiet = len(compiled) - n\n"
            "conditions.evaluate({'text': {'any': ['nsfw']}},"
            " {'card_text': 'we filtered out nsfw images.'}, [])\n"
            "print(quiet, len(compiled) - n - quiet)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    quiet, reading = map(int, out)
    assert quiet <= 1 and reading >= 5  # the cue's own pattern; then the sentence's
