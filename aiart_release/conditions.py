"""Conditions over facts and findings, shared by the policy and the misuse
rules. A condition is plain data (parsed YAML); nothing is ``eval``-ed.

Grammar (a mapping; several keys in one mapping must all hold)::

    all: [COND, ...]          every one holds
    any: [COND, ...]          at least one holds
    not: COND                 it does not hold
    finding:                  at least one finding matches (or `count` of them)
      id: "pii.*"             glob, or a list of globs
      severity: high          exactly, or {gte: high} and the other operators
      artifact: dataset       one artifact, or a list
      check: pii
      context: data           where its text lives: a context of findings.CONTEXTS,
                              a group (data, docs, code, other), or a list
      count: {gte: 10}
    text:                     the cards' and README's words (fact card_text)
      any: [deepfake, face swap]   holds one of these words or phrases
      all: [...]  none: [...]
      matches: "regex"        a regular expression, run with a time limit
      literal: true           every mention counts; by default a mention in a
                              sentence that filters, forbids or denies it does
                              not ("we filtered out NSFW images")
    FACT: VALUE               a fact (dotted names reach into mappings):
                              equal to VALUE, or containing it if a list
    FACT: {OP: VALUE}         OP one of eq, ne, in, gte, gt, lte, lt,
                              any, all, none, exists, matches

Evaluation returns whether it held, the reasons (``because``) in words, and
the findings that made it hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import Any

from .findings import Finding, Severity
from .globs import glob_match
from .lazy_pattern import LazyPattern
from .records import dataclass

OPERATORS = ("eq", "ne", "in", "gte", "gt", "lte", "lt", "any", "all", "none", "exists",
             "matches")
TEXT_OPERATORS = ("any", "all", "none", "matches", "literal")
# Rules are data written by anyone: a regular expression runs with a time
# limit (the `regex` module's timeout) on at most this much text.
REGEX_TIMEOUT = 0.05
REGEX_MAX_TEXT = 200_000
_MISSING = object()


@dataclass
class Outcome:
    """The result of evaluating a condition."""

    holds: bool
    because: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class ConditionError(ValueError):
    """A condition that cannot be evaluated (bad operator, wrong shape)."""


def evaluate(cond: Any, facts: Mapping[str, Any], findings: Sequence[Finding]) -> Outcome:
    """Evaluate ``cond`` against flat-or-nested ``facts`` and ``findings``."""
    if not isinstance(cond, Mapping) or not cond:
        raise ConditionError(f"a condition must be a non-empty mapping, not {cond!r}")
    because: list[str] = []
    matched: list[Finding] = []
    for key, spec in cond.items():
        if key == "all":
            outcome = _all(_conds(key, spec), facts, findings)
        elif key == "any":
            outcome = _any(_conds(key, spec), facts, findings)
        elif key == "not":
            inner = evaluate(spec, facts, findings)
            # When the inner condition fails it has no reasons of its own:
            # say what was negated instead.
            outcome = Outcome(not inner.holds, [f"not ({describe(spec)})"])
        elif key == "finding":
            outcome = _finding(spec, findings)
        elif key == "text":
            outcome = _text(spec, facts)
        else:
            outcome = _fact(str(key), spec, facts)
        if not outcome.holds:
            return Outcome(False)
        because.extend(outcome.because)
        matched.extend(outcome.findings)
    return Outcome(True, because, _unique(matched))


def describe(cond: Any) -> str:
    """A condition in a few words: ``finding sensitive.*``, ``commercial = True``."""
    if not isinstance(cond, Mapping):
        return repr(cond)
    parts = []
    for key, spec in cond.items():
        if key in ("all", "any") and isinstance(spec, list):
            joiner = " and " if key == "all" else " or "
            parts.append("(" + joiner.join(describe(c) for c in spec) + ")")
        elif key == "not":
            parts.append(f"not {describe(spec)}")
        elif key == "finding":
            ids = spec.get("id", "*") if isinstance(spec, Mapping) else spec
            parts.append("finding " + ("/".join(ids) if isinstance(ids, list) else str(ids)))
        else:
            ops = spec if isinstance(spec, Mapping) else {"eq": spec}
            parts.append(f"{key} {_describe_ops(ops)}")
    return "; ".join(parts)


def check(cond: Any, where: str = "when") -> None:
    """Validate a condition's shape without evaluating it: unknown operators,
    finding keys and severities raise ConditionError, so a policy or rule pack
    with a typo is rejected when it loads, not when a bundle reaches it."""
    if not isinstance(cond, Mapping) or not cond:
        raise ConditionError(f"{where}: a condition must be a non-empty mapping")
    for key, spec in cond.items():
        here = f"{where}.{key}"
        if key in ("all", "any"):
            for i, item in enumerate(_conds(key, spec)):
                check(item, f"{here}[{i}]")
        elif key == "not":
            check(spec, here)
        elif key == "finding":
            _check_finding(spec, here)
        elif key == "text":
            if not isinstance(spec, Mapping) or not spec:
                raise ConditionError(f"{here}: takes a mapping of {', '.join(TEXT_OPERATORS)}")
            for op, value in spec.items():
                if op not in TEXT_OPERATORS:
                    raise ConditionError(f"{here}: unknown operator {op!r} (use one of "
                                         f"{', '.join(TEXT_OPERATORS)})")
                if op == "matches":
                    compile_bounded(value, here)
            _check_literal(spec, here)
        else:
            ops = spec if isinstance(spec, Mapping) else {"eq": spec}
            unknown = [op for op in ops if op not in OPERATORS]
            if unknown:
                raise ConditionError(
                    f"{here}: unknown operator {unknown[0]!r} (use one of {', '.join(OPERATORS)})"
                )
            if "matches" in ops:
                compile_bounded(ops["matches"], here)


def _check_literal(spec: Mapping[str, Any], where: str = "text") -> None:
    if not isinstance(spec.get("literal", False), bool):
        raise ConditionError(f"{where}: `literal` is true or false")
    if set(spec) == {"literal"}:
        raise ConditionError(f"{where}: `literal` needs one of any, all, none, matches")


def fact_names(cond: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple, str]]:
    """``(path, name)`` for every fact a condition names, nested ``all``,
    ``any`` and ``not`` included; ``path`` leads to the key that names it
    (``("any", 0, "personal_data")``), for pointing at its line. A dotted
    name is given whole (``release.dataset``): its first part is the fact."""
    if not isinstance(cond, Mapping):
        return
    for key, spec in cond.items():
        if key in ("all", "any") and isinstance(spec, list):
            for i, item in enumerate(spec):
                yield from fact_names(item, (*path, key, i))
        elif key == "not":
            yield from fact_names(spec, (*path, key))
        elif key not in ("finding", "text"):
            yield (*path, key), str(key)


def _check_finding(spec: Any, where: str) -> None:
    if isinstance(spec, str):
        return
    if not isinstance(spec, Mapping):
        raise ConditionError(f"{where}: takes an id glob or a mapping")
    unknown = set(spec) - _FINDING_KEYS
    if unknown:
        raise ConditionError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    _id_globs(spec.get("id", "*"), where)
    if "context" in spec:
        expand_contexts(spec["context"], f"{where}.context")
    count = spec.get("count")
    if isinstance(count, Mapping):
        bad = [op for op in count if op not in OPERATORS]
        if bad:
            raise ConditionError(f"{where}.count: unknown operator {bad[0]!r}")
    severity = spec.get("severity")
    if severity is not None:
        ops = severity if isinstance(severity, Mapping) else {"eq": severity}
        for op, value in ops.items():
            if op not in OPERATORS:
                raise ConditionError(f"{where}.severity: unknown operator {op!r}")
            for item in value if isinstance(value, list) else [value]:
                try:
                    Severity.parse(item)
                except ValueError as exc:
                    raise ConditionError(f"{where}.severity: {exc}") from None


_FINDING_KEYS = {"id", "severity", "artifact", "check", "count", "context"}

# Groups of contexts a policy line or a rule may name. A finding whose check
# did not say where its text lives counts as data: the cautious reading.
CONTEXT_GROUPS = {
    "data": ("caption", "metadata", "file-name", "unknown"),
    "docs": ("prose", "citation", "license-text"),
    "code": ("code", "code-comment", "docstring", "string-literal", "config"),
    "other": ("generated", "fixture"),
}


def expand_contexts(spec: Any, where: str = "finding.context") -> set[str]:
    """The context names a ``context:`` value stands for."""
    from .findings import CONTEXTS

    listed = spec if isinstance(spec, list) else [spec]
    out: set[str] = set()
    for name in listed:
        if name in CONTEXT_GROUPS:
            out.update(CONTEXT_GROUPS[name])
        elif name in CONTEXTS or name == "unknown":
            out.add(name)
        else:
            known = ", ".join([*CONTEXT_GROUPS, *CONTEXTS, "unknown"])
            raise ConditionError(f"{where}: unknown context {name!r} (one of: {known})")
    return out


def _id_globs(ids: Any, where: str = "finding") -> list[str]:
    listed = ids if isinstance(ids, list) else [ids]
    if not listed or not all(isinstance(i, str) for i in listed):
        raise ConditionError(f"{where}.id: an id glob or a list of them, not {ids!r}")
    return listed


def _conds(key: str, spec: Any) -> list[Any]:
    if not isinstance(spec, list) or not spec:
        raise ConditionError(f"'{key}' takes a non-empty list of conditions")
    return spec


def _all(conds: list[Any], facts, findings) -> Outcome:
    because: list[str] = []
    matched: list[Finding] = []
    for cond in conds:
        outcome = evaluate(cond, facts, findings)
        if not outcome.holds:
            return Outcome(False)
        because.extend(outcome.because)
        matched.extend(outcome.findings)
    return Outcome(True, because, matched)


def _any(conds: list[Any], facts, findings) -> Outcome:
    because: list[str] = []
    matched: list[Finding] = []
    for cond in conds:
        outcome = evaluate(cond, facts, findings)
        if outcome.holds:
            because.extend(outcome.because)
            matched.extend(outcome.findings)
    return Outcome(bool(because) or bool(matched), because, matched)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[int] = set()
    out = []
    for f in findings:
        if id(f) not in seen:
            seen.add(id(f))
            out.append(f)
    return out


def lookup(facts: Mapping[str, Any], name: str) -> Any:
    """A fact by dotted name, or a sentinel when absent."""
    if name in facts:
        return facts[name]
    value: Any = facts
    for part in name.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def _fact(name: str, spec: Any, facts: Mapping[str, Any]) -> Outcome:
    value = lookup(facts, name)
    ops = spec if isinstance(spec, Mapping) else {"eq": spec}
    for op, expected in ops.items():
        if op not in OPERATORS:
            raise ConditionError(f"unknown operator {op!r} for fact {name!r}")
        if not compare(op, value, expected):
            return Outcome(False)
    if set(ops) == {"eq"} and isinstance(ops["eq"], bool):
        return Outcome(True, [name if ops["eq"] else f"not {name}"])
    shown = "absent" if value is _MISSING else _show(value)
    return Outcome(True, [f"{name} is {shown} ({_describe_ops(ops)})"])


# A group with a quantifier, itself repeated: (a+)+, (a|aa)*, (\w+\s?)+ ...
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def compile_bounded(pattern: Any, where: str = "matches") -> Any:
    """Compile a rule's regular expression with the `regex` module, refusing
    the nested quantifiers that backtrack catastrophically; matching also
    runs with a time limit."""
    import regex

    if not isinstance(pattern, str) or not pattern:
        raise ConditionError(f"{where}: `matches` takes a regular expression")
    if _NESTED.search(pattern):
        raise ConditionError(f"{where}: {pattern!r} repeats a repeated group, which can take "
                             "exponential time; rewrite it without nested quantifiers")
    try:
        return regex.compile(pattern, regex.IGNORECASE | regex.VERSION1)
    except regex.error as exc:
        raise ConditionError(f"{where}: not a regular expression ({exc})") from None


def _search(pattern: str, text: str, literal: bool = True) -> bool:
    """Whether ``pattern`` matches ``text``; unless ``literal``, a match
    counts only where its sentence says the release holds it (see
    :func:`said_of_release`). Too slow to decide: it does not hold."""
    try:
        compiled = compile_bounded(pattern)
        if literal:
            return bool(compiled.search(text[:REGEX_MAX_TEXT], timeout=REGEX_TIMEOUT))
        found = compiled.finditer(text[:REGEX_MAX_TEXT], timeout=REGEX_TIMEOUT)
        return _counts((m.span() for m in found), text, literal)
    except TimeoutError:
        return False


def _text(spec: Any, facts: Mapping[str, Any]) -> Outcome:
    """Words and phrases in the cards and README (the fact ``card_text``),
    each mention read in its sentence (:func:`said_of_release`) unless the
    condition says ``literal: true``."""
    if not isinstance(spec, Mapping) or not spec:
        raise ConditionError("'text' takes a mapping of any, all, none, matches, literal")
    _check_literal(spec)
    text = str(facts.get("card_text") or "")
    literal = spec.get("literal", False)
    because = []
    for op, value in spec.items():
        if op == "literal":
            continue
        if op == "matches":
            if not _search(value, text, literal):
                return Outcome(False)
            because.append(f"the card text matches {value!r}")
            continue
        if op not in ("any", "all", "none"):
            raise ConditionError(f"unknown operator {op!r} for 'text'")
        wanted = value if isinstance(value, list) else [value]
        hits = [w for w in wanted if _has_phrase(text, str(w), literal)]
        if (op == "any" and not hits) or (op == "all" and len(hits) < len(wanted)) or (
                op == "none" and hits):
            return Outcome(False)
        if op != "none":
            because.append("the card says " + ", ".join(repr(h) for h in hits[:4]))
        else:
            because.append("the card never says " + ", ".join(repr(w) for w in wanted[:4]))
    return Outcome(True, because)


def _has_phrase(text: str, phrase: str, literal: bool = False) -> bool:
    phrase = phrase.lower()
    if phrase not in text:  # most cues are absent: no pattern to build for them
        return False
    pattern = re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")
    return _counts(((m.start(), m.end()) for m in pattern.finditer(text)), text, literal)


def _counts(spans: Iterable[tuple[int, int]], text: str, literal: bool) -> bool:
    """Whether one of the mentions at ``spans`` counts: any of them when
    read literally, else one its sentence does not filter, forbid or deny.
    Past MAX_MENTIONS mentions the cue counts (the cautious reading), so a
    card of a million filtered mentions costs no more than a few hundred."""
    for read, (start, end) in enumerate(spans):
        if literal or read >= MAX_MENTIONS or said_of_release(text, start, end):
            return True
    return False


# --- A cue word read in its sentence ------------------------------------
#
# A card names a harm to say the release holds or enables it ("contains NSFW
# images", "swap any face") and as often to say it does not: "we filtered out
# NSFW images", "a classifier detects deepfakes", "do not use it to create
# nudity". A mention counts unless a word that filters, removes, detects or
# forbids it, or a negation, stands within CUE_REACH words of it in its own
# clause. A sentence that says the filtering fell short ("the filter is not
# perfect", "some may remain", "unfiltered") lets every mention in it count.
# Words in round brackets that do not hold the cue are read as an aside, so an
# acronym's expansion ("NSFW (not safe for work)") negates nothing; nor does
# a missing consent ("nude images of anyone without their consent").

MAX_MENTIONS = 200       # mentions read in their sentence, per cue
CUE_REACH = 8            # words either side of a cue that can filter or deny it
SENTENCE_REACH = 400     # characters either side read for the sentence

# Where a sentence ends: . ! ? before a space, a blank line, a new list item,
# heading, quote or table row, a table cell.
_SENTENCE_END = LazyPattern(r"[.!?](?=\s)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*+>#|]|\d+[.)]\s))|\|")
# Where a clause ends inside a sentence: ; : dashes, and the words that turn
# it or give a reason or a consequence ("we filter NSFW images, but some
# remain"; "it can make nudity, so we recommend a filter").
_CLAUSE_END = LazyPattern(r"[;:\u2014\u2013]|\s-\s|\b(?:but|however|although|though|whereas|"
                         r"yet|except|while|so|therefore|thus|hence|since|because)\b",
                         re.IGNORECASE)
# An aside in brackets (a link's address among them); a link's text in
# square brackets is part of the sentence ("caught by [a classifier](...)").
_ASIDE = LazyPattern(r"\([^()]*\)")
_WORD = LazyPattern(r"[a-z0-9]+(?:['\u2019]t)?", re.IGNORECASE)
# Words that take the content out, catch it or forbid it.
_KEEPS_OUT = LazyPattern(
    r"\b(?:filter(?:s|ed|ing)?|remov(?:e|es|ed|ing|al)|exclu(?:de|des|ded|ding|sion)|"
    r"block(?:s|ed|ing)?|blocklists?|detect(?:s|ed|ing|ion|ors?)?|prohibit(?:s|ed|ing|ion)?|"
    r"forbid(?:s|den|ding)?|ban(?:s|ned|ning)?|censor(?:s|ed|ing)?|blur(?:s|red|ring)?|"
    r"redact(?:s|ed|ing|ion)?|screen(?:s|ed|ing)|discard(?:s|ed|ing)?|strip(?:s|ped|ping)|"
    r"flag(?:s|ged|ging)?|prevent(?:s|ed|ing|ion)?|moderat(?:e|es|ed|ing|ion|ors?)|"
    r"refus(?:e|es|ed|ing|al)|reject(?:s|ed|ing|ion)?|classif(?:y|ies|ied|iers?)|checkers?|"
    r"avoid(?:s|ed|ing)?|mitigat(?:e|es|ed|ing|ion)|safeguards?|disallow(?:s|ed)?|illegal|"
    r"(?:rules?|polic(?:y|ies)|protect\w*|guard\w*|terms) against)\b", re.IGNORECASE)
_DENIES = LazyPattern(r"\b(?:not|no|never|without|none|nor|neither|non|cannot)\b|n['\u2019]t\b",
                     re.IGNORECASE)
# A sentence that says the keeping-out fell short: every mention in it counts.
_FELL_SHORT = LazyPattern(
    r"(?:\b(?:not|no|never|without)|n['\u2019]t)\s+(?:\w+\s+){0,2}?(?:filter\w*|remov\w*|detect\w*|"
    r"block\w*|censor\w*|exclu\w*|moderat\w*|caught|perfect|complete|guaranteed|fully|"
    r"always)\b|\bnot\s+(?:all|every)\b|\b(?:imperfect|unfiltered|uncensored|unmoderated|"
    r"remains?|remained|missed|disabled|bypass\w*|turned\s+off|despite)\b|"
    r"\bslip(?:s|ped)?\s+through\b|\bstill\s+(?:\w+\s+){0,2}?(?:contain\w*|include\w*|"
    r"ha[sv]e?|exists?|appears?|be|present|possible|there)\b|"
    r"\bmay\s+(?:still\s+)?(?:contain|include|show|depict)\b", re.IGNORECASE)
# Negations that deny something else than the cue: an acronym's expansion
# ("NSFW, not safe for work"), a missing consent ("nude images of anyone
# without their consent" says the model makes them), "not only".
_NOT_A_DENIAL = LazyPattern(
    r"\b(?:not|no|without)(?=\s+(?:(?:safe|suitable)\s+for\s+work\b|(?:\w+\s+){0,2}?"
    r"(?:consent\w*|permission|authori[sz]ation|approval|knowledge)\b|(?:only|just|merely)\b))",
    re.IGNORECASE)
_FREE_OF = LazyPattern(r"\bfree of$|^free\b")


# A section that lists what the release must not be used for ("### Misuse
# and Malicious Use", "## Out-of-Scope Use", "Prohibited uses"): its items
# ("- Sexual content without consent of the people who might see it") are
# forbidden uses, as "do not use it to create nudity" is in a sentence.
_FORBIDDING_HEADING = LazyPattern(
    r"\b(?:mis-?uses?|malicious|out[- ]of[- ]scope|prohibit\w*|forbidden|"
    # use restrictions, not access restrictions (a gated card's "Access
    # restrictions" section says what the data holds)
    r"use\s+restrictions?|restrictions?\s+(?:on|of)\s+use|"
    r"unacceptable|acceptable[- ]use|not\s+(?:be\s+)?(?:intended|permitted|allowed)|"
    r"(?:should|must|may)\s+not|do\s+not|don['\u2019]t)\b", re.IGNORECASE)
SECTION_REACH = 20_000   # characters read back for the heading over a mention


def said_of_release(text: str, start: int, end: int) -> bool:
    """Whether the mention ``text[start:end]`` says the release holds or
    enables what it names, read in its sentence (see above) and under its
    heading (a list of forbidden uses holds none)."""
    if _FORBIDDING_HEADING.search(_heading_over(text, start)):
        return False
    sentence, start, end = _around(text, start, end, _SENTENCE_END, SENTENCE_REACH)
    if _FELL_SHORT.search(sentence):
        return True
    clause, start, end = _around(sentence, start, end, _CLAUSE_END, len(sentence))
    clause = _without_asides(_NOT_A_DENIAL.sub(_blank, clause), start, end)
    before = " ".join(_WORD.findall(clause[:start])[-CUE_REACH:])
    after = " ".join(_WORD.findall(clause[end:])[:CUE_REACH])
    if _FREE_OF.search(before) or _FREE_OF.search(after):
        return False
    return not any(_KEEPS_OUT.search(words) or _DENIES.search(words)
                   for words in (before, after))


def _heading_over(text: str, start: int) -> str:
    """The Markdown heading (``#`` to ``######``) of the section holding
    ``start``, read back at most SECTION_REACH characters; "" when none."""
    floor = max(0, start - SECTION_REACH)
    at = text.rfind("\n#", floor, start)
    if at < 0:
        if floor or not text.startswith("#"):
            return ""
        at = -1
    eol = text.find("\n", at + 1, start)
    line = text[at + 1:eol if eol >= 0 else start]
    return line if re.match(r"#{1,6}\s", line) else ""


def _around(text: str, start: int, end: int, breaks: re.Pattern[str] | LazyPattern,
            reach: int) -> tuple[str, int, int]:
    """The stretch of ``text`` between the breaks either side of
    ``start:end`` (at most ``reach`` characters each way), and where the
    mention sits in it."""
    lo = max(0, start - reach)
    head = text[lo:start]
    cut = [m.end() for m in breaks.finditer(head)]
    first = lo + (cut[-1] if cut else 0)
    tail = text[end:end + reach]
    stop = breaks.search(tail)
    last = end + (stop.start() if stop else len(tail))
    return text[first:last], start - first, end - first


def _without_asides(clause: str, start: int, end: int) -> str:
    """The clause with bracketed asides that do not hold the mention blanked."""
    return _ASIDE.sub(lambda m: m.group() if m.start() <= start and end <= m.end()
                      else _blank(m), clause)


def _blank(match: re.Match[str]) -> str:
    """Spaces for a match: the words go, the offsets stay."""
    return " " * len(match.group())


def compare(op: str, value: Any, expected: Any) -> bool:
    """Apply one operator. A list fact compared with a scalar means
    "contains" (``modality: image`` holds for ``["image", "audio"]``)."""
    if op == "exists":
        return (value is not _MISSING and value is not None) == bool(expected)
    if value is _MISSING or value is None:
        return op in ("ne", "none")
    if op == "matches":
        return isinstance(value, str) and _search(expected, value)
    if op in ("eq", "ne"):
        equal = _contains(value, expected) if isinstance(value, list) else _eq(value, expected)
        return equal if op == "eq" else not equal
    if op == "in":
        options = expected if isinstance(expected, list) else [expected]
        if isinstance(value, list):
            return any(_contains(options, v) for v in value)
        return _contains(options, value)
    if op in ("any", "all", "none"):
        wanted = expected if isinstance(expected, list) else [expected]
        have = value if isinstance(value, list) else [value]
        hits = [w for w in wanted if _contains(have, w)]
        if op == "any":
            return bool(hits)
        if op == "all":
            return len(hits) == len(wanted)
        return not hits
    number = len(value) if isinstance(value, (list, dict)) else value
    try:
        if op == "gte":
            return number >= expected
        if op == "gt":
            return number > expected
        if op == "lte":
            return number <= expected
        if op == "lt":
            return number < expected
    except TypeError:
        return False
    raise ConditionError(f"unknown operator {op!r}")


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


def _contains(items: list[Any], wanted: Any) -> bool:
    return any(_eq(item, wanted) for item in items)


def _finding(spec: Any, findings: Sequence[Finding]) -> Outcome:
    if isinstance(spec, str):
        spec = {"id": spec}
    if not isinstance(spec, Mapping):
        raise ConditionError("'finding' takes an id glob or a mapping")
    unknown = set(spec) - _FINDING_KEYS
    if unknown:
        raise ConditionError(f"unknown key(s) in 'finding': {', '.join(sorted(unknown))}")
    ids = _id_globs(spec.get("id", "*"))
    matched = [f for f in findings if _finding_matches(f, spec, ids)]
    count_spec = spec.get("count", {"gte": 1})
    count_ops = count_spec if isinstance(count_spec, Mapping) else {"eq": count_spec}
    total = sum(f.count or 1 for f in matched)
    if not all(compare(op, total, v) for op, v in count_ops.items()):
        return Outcome(False)
    names = sorted({f.id for f in matched})
    words = ", ".join(names) if names else f"no finding {'/'.join(ids)}"
    paths = sorted({f.location.path for f in matched})
    if paths:
        # A reviewer recognises files, not finding counts.
        words += " at " + ", ".join(paths[:3]) + (f" and {len(paths) - 3} more"
                                                   if len(paths) > 3 else "")
    return Outcome(True, [f"finding {words}"], matched)


def _finding_matches(f: Finding, spec: Mapping[str, Any], ids: list[str]) -> bool:
    if not any(glob_match(pattern, f.id) for pattern in ids):
        return False
    if "artifact" in spec:
        wanted = spec["artifact"] if isinstance(spec["artifact"], list) else [spec["artifact"]]
        if f.artifact not in wanted:
            return False
    if "check" in spec and f.check != spec["check"]:
        return False
    if "context" in spec and (f.context or "unknown") not in expand_contexts(spec["context"]):
        return False
    if "severity" in spec:
        sev = spec["severity"]
        ops = sev if isinstance(sev, Mapping) else {"eq": sev}
        try:
            for op, expected in ops.items():
                if op == "in":
                    listed = expected if isinstance(expected, list) else [expected]
                    if f.severity not in [Severity.parse(x) for x in listed]:
                        return False
                elif not compare(op, f.severity.rank, Severity.parse(expected).rank):
                    return False
        except ValueError as exc:
            raise ConditionError(str(exc)) from None
    return True


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value[:5]) + (", …" if len(value) > 5 else "") + "]"
    return str(value)


def _describe_ops(ops: Mapping[str, Any]) -> str:
    symbols = {"eq": "=", "ne": "≠", "gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}
    return ", ".join(f"{symbols.get(op, op)} {_show(v)}" for op, v in ops.items())
