"""Given names that are no English word: how a name shows in text where
capitals say nothing.

Comments, posts and credits are written fast: "wow emma and kaite are so
cute", "Casey is a great person", "THANKS OBAMA". The small NER model reads
names from their capitals, so it misses the lower-case ones, and a capital
at the start of a text or a sentence tells it nothing. A given name from
the lexicon (``recognizers.given_names``) that is also no English word
("emma", "kevin", "casey", not "bill", "mark" or "love") is a name even
there.

The English words are the ones the spaCy model's own lemmatizer knows (its
lookup tables, about 89,000 words from WordNet), so nothing is downloaded.
Without them (another model, or none with a lemmatizer) nothing here fires.
Developed on WNUT-17 dev only; see docs/benchmarks.md for the held-out test.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from functools import cache
from typing import Any

from aiart_release.lazy_pattern import LazyPattern

# Words that look like given names of some locale and are everyday words or
# fillers on the Web; too short to tell apart.
MIN_LOWER_CHARS = 4
MIN_CAPS_CHARS = 4
# Lower-case names are trusted only in text whose words are mostly English.
ENGLISH_SHARE = 0.5
_WORD = LazyPattern(r"(?<![\w@#/.'’-])[^\W\d_][^\W\d_'’-]*(?![\w@/'’-]|\.\w)")
# What follows a name that a sentence is about: an auxiliary, a verb of
# saying or doing, a possessive ("Sheeran's", "Sheeran ' s" as tokenised).
SUBJECT_VERB = LazyPattern(
    r"\s*['’]\s?s\b|\s+(?:is|was|has|had|should|would|will|can|could|did|does|said|says|"
    r"thinks|knows|wants|needs|looks|sounds|got|gets|made|makes|went|goes|just|never|always)\b")
_AFTER_DETERMINER = LazyPattern(
    r"\b(?:a|an|the|this|that|these|those|my|your|his|her|its|our|their|some|any|no|every|"
    r"each|another|such|what|which)\s+$", re.IGNORECASE)


@cache
def _lemma_tables() -> dict[str, Any]:
    """The default spaCy model's lemmatizer lookup tables by name (WordNet
    word lists by part of speech, irregular forms); empty where the model
    or its tables are missing."""
    import glob

    import spacy
    from spacy.lookups import Lookups

    from .analyzer import DEFAULT_MODEL

    try:
        found = glob.glob(str(spacy.util.get_package_path(DEFAULT_MODEL) / "*" / "lemmatizer"
                              / "lookups"))
        lookups = Lookups().from_disk(found[0]) if found else None
    except (OSError, ValueError, ImportError):
        lookups = None
    if lookups is None:
        return {}
    # spaCy Tables: keyed by string hashes, so looked up with .get("verb").
    return {name: lookups.get_table(name)
            for name in ("lemma_index", "lemma_exc", "lemma_lookup") if lookups.has_table(name)}


def _forms(value: object) -> set[str]:
    """The words in one table entry: a list, a word, or {form: [lemmas]}."""
    if isinstance(value, dict):  # lemma_exc: {pos: {form: [lemmas]}}
        return {w for form, lemmas in value.items() for w in (form, *lemmas)}
    if isinstance(value, (list, tuple)):
        return set(value)
    return {value} if isinstance(value, str) else set()


@cache
def english_words() -> frozenset[str]:
    """Every word form the default spaCy model's lemmatizer lists, lower case
    (WordNet's nouns include names: "paul", "tanner")."""
    words = {w for table in _lemma_tables().values() for v in table.values() for w in _forms(v)}
    return frozenset(w.lower() for w in words if isinstance(w, str))


@cache
def everyday_words() -> frozenset[str]:
    """Words WordNet lists as a verb, an adjective or an adverb, and irregular
    forms: "beat", "link", "chance", "love". Names are nouns only there
    ("paul", "jason", "murphy"), so these are the words a name can be
    mistaken for."""
    tables = _lemma_tables()
    index = tables.get("lemma_index", {})
    words = {w for pos in ("verb", "adj", "adv") for w in _forms(index.get(pos, ()))}
    words.update(w for v in tables.get("lemma_exc", {}).values() for w in _forms(v))
    return frozenset(w.lower() for w in words if isinstance(w, str))


def _lexicon(name: str, build: Callable[[], frozenset[str]]) -> AbstractSet[str]:
    """A word list derived from the installed model, spaCy and Faker, kept
    beside the result cache (``cache.derived``) and keyed by their
    versions and the ambiguous names of our settings: deciding whether a
    caption is worth running NER on then imports neither spaCy (1.5 s with
    the torch it pulls in) nor Faker's locales."""
    from aiart_release.cache import derived_lexicon
    from aiart_release.plugins import installed_version as version

    from .analyzer import DEFAULT_MODEL, settings_data

    ambiguous = hashlib.sha256("\n".join(sorted(
        settings_data()["ambiguous_given_names"])).encode()).hexdigest()[:16]
    key = (f"{name} 1 model {version(DEFAULT_MODEL)} spacy {version('spacy')} "
           f"faker {version('faker')} ambiguous {ambiguous}")
    return derived_lexicon("names-" + name, key, build)


@cache
def distinctive_given_names() -> AbstractSet[str]:
    """Given names that are no English word and no stop word."""
    return _lexicon("distinctive-given", _distinctive_given_names)


def _distinctive_given_names() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    from .recognizers import given_names

    english = english_words()
    if not english:
        return frozenset()
    return frozenset(given_names() - english - STOP_WORDS)


@cache
def distinctive_surnames() -> AbstractSet[str]:
    """Family names that are no English word and no stop word ("obama",
    "sheeran"): what the NER model calls a person in lower case or in
    capitals is one if its word is such a name."""
    return _lexicon("distinctive-surnames", _distinctive_surnames)


def _distinctive_surnames() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    from .recognizers import surnames

    english = english_words()
    if not english:
        return frozenset()
    return frozenset(surnames() - english - STOP_WORDS)


@cache
def _noun_given_names() -> AbstractSet[str]:
    """Given names that are no verb, adjective or adverb ("martin", "harry";
    not "wash", "red")."""
    return _lexicon("noun-given", _build_noun_given_names)


def _build_noun_given_names() -> frozenset[str]:
    from .recognizers import given_names

    return given_names() - everyday_words()


def has_distinctive_name(text: str) -> bool:
    """Whether ``text`` is worth running NER on though no word is capitalised
    mid-sentence: a word in any case is a distinctive given name ("emma") or
    family name ("obama"), a lower-case word is a given name that is no verb
    or adjective ("martin short is great", not "wash", "red"), or a
    capitalised word starting the text or a sentence is such a given name
    ("Harry got shot"): the model, not the capital, then decides."""
    names = distinctive_given_names()
    family = distinctive_surnames()
    known = None
    for match in _WORD.finditer(text):
        word = match.group(0)
        lowered = word.lower()
        if lowered in names or lowered in family:
            return True
        if (word.islower() and len(word) >= MIN_LOWER_CHARS) or (
                word.istitle() and _starts_sentence(text, match.start())):
            if known is None:
                known = _noun_given_names()
            if lowered in known:
                return True
    return False


# A pronoun or an auxiliary: the text says something about someone, as
# comments and posts do and captions ("watercolor of a red fox, golden
# hour") rarely do.
_STATEMENT = LazyPattern(
    r"\b(?:i|i'm|im|you|u|he|she|we|they|me|him|her|us|them|my|your|ur|his|our|their|"
    r"is|was|are|were|am|has|have|had|does|did|will|would|should|could)\b", re.IGNORECASE)


def is_statement(text: str) -> bool:
    """Whether ``text`` reads as a statement (a pronoun or an auxiliary)."""
    return _STATEMENT.search(text) is not None


def _starts_sentence(text: str, start: int) -> bool:
    """Whether only spaces stand between ``start`` and the start of the text,
    a line or a sentence (looked at backwards: no copy of the prefix)."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in ".!?\n"


def lone_names(text: str) -> Iterator[tuple[int, int]]:
    """Spans of distinctive given names whose case says nothing: in lower
    case, in capitals, or capitalised at the start of the text or of a
    sentence (mid-sentence capitals are the NER model's and the lexicon
    recognizer's business)."""
    names = distinctive_given_names()
    given = _noun_given_names()
    words = list(_WORD.finditer(text))
    english = english_words()
    from spacy.lang.en.stop_words import STOP_WORDS

    known = sum(w.group(0).lower() in english or w.group(0).lower() in STOP_WORDS
                for w in words)
    # In text mostly not in English ("toh zada vadiya koi hiaga nahi"),
    # every word may be in some locale's list of given names.
    in_english = known >= ENGLISH_SHARE * len(words)
    for match in words:
        word = match.group(0)
        if word.lower() not in names:
            # "Tanner is a good dude": a given name that is also a noun
            # ("tanner"), not a verb or an adjective ("Beat is so cold"),
            # starting a sentence that goes on about it.
            if (word.istitle() and word.lower() in given and _starts_sentence(text, match.start())
                    and SUBJECT_VERB.match(text, match.end())):
                yield match.start(), match.end()
            continue
        if word.islower():
            if not in_english:
                continue
            # "a lotta fun", "the barbie dolls": after a determiner, a noun.
            if len(word) >= MIN_LOWER_CHARS and not _AFTER_DETERMINER.search(
                    text, 0, match.start()):
                yield match.start(), match.end()
        elif word.isupper():
            if len(word) >= MIN_CAPS_CHARS:
                yield match.start(), match.end()
        elif word.istitle() and _starts_sentence(text, match.start()):
            yield match.start(), match.end()
