"""Presidio recognizers that Presidio does not ship and AI-art material needs:
sensitive traits (GDPR Art. 9, children), ages, street addresses, GPS
coordinates, social handles and profile links.

They are registered through ``aiart_release_register_recognizers`` like any
plugin's (see ``__init__.py``), and Presidio is imported only when a factory
is called, never when the plugin loads.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Set as AbstractSet
from functools import cache
from typing import Any

from aiart_release.lazy_pattern import LazyPattern

SENSITIVE_PREFIX = "SENSITIVE_"
# Score of a trait stated about a person, and of a bare mention.
PERSON_TRAIT_SCORE = 0.85
BARE_TRAIT_SCORE = 0.45


def entity_of(category: str) -> str:
    """``health`` -> ``SENSITIVE_HEALTH``."""
    return SENSITIVE_PREFIX + category.upper().replace("-", "_")


def category_of(entity: str) -> str:
    """``SENSITIVE_SEX_LIFE`` -> ``sex-life``."""
    return entity[len(SENSITIVE_PREFIX):].lower().replace("_", "-")


def traits_data() -> dict[str, Any]:
    from aiart_release.readers.yamlfile import shipped_data  # PyYAML: only when data is needed

    return shipped_data("sensitive_traits.yaml")


def _words(alternatives: list[str]) -> re.Pattern[str]:
    # The word-start test first lets the engine skip the positions where no
    # word or punctuation starts: in whitespace runs (padded tables,
    # indented text) the search is five times faster; the matches are the
    # same (every term starts with a letter or punctuation).
    return re.compile(_WORD_START + r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])",
                      re.IGNORECASE)


# Where a word (or a term starting with punctuation) can start.
_WORD_START = r"(?:\b|(?=[^\w\s]))"


def sensitive_recognizers() -> list[Any]:
    """One Presidio recognizer per sensitive category."""
    data = traits_data()
    person = _words(data["person_cues"])
    art = _words(data["art_context"])
    not_traits = _words([re.escape(p) for p in data.get("not_traits", [])])
    return [
        _make_trait_recognizer(category, spec, person, art, not_traits)
        for category, spec in data["categories"].items()
    ]


def _make_trait_recognizer(category: str, spec: dict[str, Any], person: re.Pattern[str],
                           art: re.Pattern[str], not_traits: re.Pattern[str]) -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    terms = _words(spec["terms"])
    entity = entity_of(category)

    class SensitiveTraitRecognizer(EntityRecognizer):
        """A special category of personal data (GDPR Art. 9) or a child,
        stated in text. Art vocabulary next to the term cancels it."""

        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            if entity not in entities:
                return []
            results = []
            excluded = [(m.start(), m.end()) for m in not_traits.finditer(text)]
            names = [(e.start_char, e.end_char) for e in getattr(nlp_artifacts, "entities", ())
                     if e.label_ == "PERSON" and _a_name(e.text)]
            for match in terms.finditer(text):
                if any(a <= match.start() and match.end() <= b for a, b in excluded):
                    continue
                if _next_to_art(text, match.start(), match.end(), art):
                    continue
                # Part of a name ("Christian Theobalt"), or the genus of a
                # species ("Cancer pagurus"): no trait of anyone.
                if text[match.start()].isupper() and (
                        any(a <= match.start() < b for a, b in names)
                        or (" " not in match.group(0)
                            and _SPECIES.match(text, match.end()))):
                    continue
                sentence = _sentence(text, match.start(), match.end())
                about_person = bool(person.search(sentence)) or _has_person(
                    nlp_artifacts, match.start(), match.end(), text)
                score = PERSON_TRAIT_SCORE if about_person else BARE_TRAIT_SCORE
                results.append(RecognizerResult(entity, match.start(), match.end(), score))
            return results

    return SensitiveTraitRecognizer(
        supported_entities=[entity], name=f"SensitiveTrait_{category}", supported_language="en"
    )


def _a_name(value: str) -> bool:
    """A PERSON span that is a name of someone, not "Communist Party"."""
    from .analyzer import settings_data

    words = {w.lower().strip(".,'’") for w in value.split()}
    return len(words) > 1 and not words & set(settings_data()["not_name_words"])


# The lower-case epithet after a capitalised genus: "Cancer pagurus".
_SPECIES = LazyPattern(r" [a-z]+(?:us|um|is|ae|ii|a|ens|ata|oides|ensis)\b(?! \w+ly\b)")


def _next_to_art(text: str, start: int, end: int, art: re.Pattern[str]) -> bool:
    """One of the two words right after the term (within its clause), or the
    word right before it, is an art word: "Islamic geometric tiling",
    "propaganda poster of a socialist". Punctuation ends the look-ahead:
    "depression, art therapy" is still about depression."""
    clause = re.split(r"[,.;:!?()\n]", text[end:end + 40], maxsplit=1)[0]
    following = re.findall(r"[\w'-]+", clause)[:2]
    before_clause = re.split(r"[,.;:!?()\n]", text[max(0, start - 25):start])[-1]
    before = re.findall(r"[\w'-]+", before_clause)[-1:]
    return any(art.fullmatch(word) for word in following + before)


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start), text.rfind(";", 0, start))
    right_candidates = [i for i in (text.find(".", end), text.find("\n", end),
                                    text.find(";", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return text[left + 1:right]


def _has_person(nlp_artifacts: Any, start: int, end: int, text: str) -> bool:
    if nlp_artifacts is None:
        return False
    sentence = _sentence(text, start, end)
    lo = text.find(sentence)
    hi = lo + len(sentence)
    return any(ent.label_ == "PERSON" and lo <= ent.start_char < hi
               for ent in getattr(nlp_artifacts, "entities", ()))


# --- personal data Presidio does not cover ----------------------------------

_STREET_TYPES = (
    r"street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|lane|ln\.?|drive|dr\.?|court|"
    r"ct\.?|place|pl\.?|way|parkway|pkwy\.?|terrace|square|sq\.?|crescent|close|gardens|"
    r"highway|hwy\.?"
)
# Capitalised, as in addresses: "via Instagram" is not a street.
_STREET_WORDS = r"Rue|Avenue|Boulevard|Via|Viale|Calle|Avenida|Rua|Straße|Strasse|Str\.|Platz|" \
                r"Piazza|Plaza|Carrer|Ulica|ul\.|Allee|Gasse|Laan|Straat|Gracht|Quai|Chemin"

# Paths of a social site that are its own pages, not someone's profile.
_SITE_PAGES = (r"(?:share|sharer(?:\.php)?|intent|home|watch|search|explore|hashtag|i|login|"
               r"signup|about|help|privacy|legal|tos|terms|settings|embed|p|reel|tv|stories|"
               r"events|groups|pages|photo(?:\.php)?|video|status|notifications|messages|"
               r"developers?|api|blog|news|tags?|shop|store|join|download|apps|features|team|"
               r"graphql|oauth2?|web|media|posts?|collections?|gallery|galleries|users?|stash|"
               r"bookmarks|favou?rites|following|followers|feed|challenges|discover|trending)")

PATTERNS: dict[str, list[tuple[str, str, float]]] = {
    # 221B Baker Street; 1600 Amphitheatre Parkway; 12 Rue de Rivoli; Via Roma 12
    "STREET_ADDRESS": [
        ("house number, street, type",
         rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}(?i:{_STREET_TYPES})(?![\w-])",
         0.7),
        ("number, European street word, name",
         rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:{_STREET_WORDS})\s+[\w'-]+(?:\s[\w'-]+){{0,3}}", 0.7),
        ("European street word, name, number",
         rf"\b(?:{_STREET_WORDS})\s+(?:[\w'-]+\s){{1,3}}\d{{1,4}}[a-z]?\b", 0.65),
    ],
    # 48.8584, 2.2945 / 48.8584 N 2.2945 E / GPSLatitude: 48.8584
    "GPS_COORDINATES": [
        ("decimal pair",
         r"(?<![\d.])-?\d{1,2}\.\d{3,}\s*°?\s*[NS]?\s*[,;/ ]\s*"
         r"-?\d{1,3}\.\d{3,}\s*°?\s*[EW]?(?![\d.])", 0.6),
        ("EXIF GPS field",
         r"\bGPS\s?(?:Latitude|Longitude|Position|Coordinates)\s*[:=]\s*[^;\n]{3,40}", 0.8),
        ("degrees minutes seconds",
         r"\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*\d{1,2}(?:\.\d+)?\s*[\"″]\s*[NSEW]", 0.75),
    ],
    # @inkfox, u/kit_painter, artstation.com/kitpaints
    "SOCIAL_HANDLE": [
        ("@handle", r"(?<![\w@.])@[A-Za-z0-9_][A-Za-z0-9_.]{0,28}[A-Za-z0-9_](?![\w@]|\.\w)",
         0.6),
        ("reddit user", r"(?<![\w/])u/[A-Za-z0-9_][A-Za-z0-9_-]{2,19}\b", 0.7),
        # Profiles of people on social and art sites. Not code hosts (a
        # github.com/<owner>/<repo> URL names a project, not a person to
        # protect), nor the sites' own pages (share, intent, watch...).
        ("profile link",
         r"(?<![\w.-])(?:https?://)?(?:www\.)?(?:artstation\.com|deviantart\.com|instagram\.com|"
         r"twitter\.com|x\.com|tiktok\.com|facebook\.com|behance\.net|tumblr\.com|"
         r"patreon\.com|youtube\.com(?=/@)|youtube\.com/(?:c|user|channel)|threads\.net|"
         r"bsky\.app/profile|pixiv\.net/(?:en/)?users|reddit\.com/u(?:ser)?|linkedin\.com/in|"
         r"flickr\.com/people|dribbble\.com|cara\.app|mastodon\.social)/"
         rf"(?!{_SITE_PAGES}(?![\w.-]))@?[A-Za-z0-9_.-]{{3,}}", 0.75),
        ("subdomain profile",
         r"\b(?!www\.)[a-z0-9-]{3,30}\.(?:deviantart|tumblr|artstation|carrd)\.com\b",
         0.7),
    ],
    # aged 34; 34 years old; a 16-year-old
    "AGE": [
        ("aged N", r"\b(?:aged?|age:)\s*\d{1,3}\b", 0.65),
        # "5 years" alone is a duration ("after 5 years of work"); "old" or
        # "y/o" makes it an age.
        ("N years old", r"\b\d{1,3}[- ](?:years?|yrs?)[- ]old\b|\b\d{1,3}[- ]?(?:y/o|yo)\b",
         0.65),
        ("N months old", r"\b\d{1,2}[- ]months?[- ]old\b", 0.65),
        ("is N", r"(?<=\b(?:is|was) )\d{1,2}(?= (?:and|when|now|today|but|in)\b|[,.;]|$)", 0.5),
        ("at N", r"(?<=\b(?:at|both|turned) )\d{1,2}(?=[,.;)]|$| (?:and|when)\b)", 0.45),
        ("name, N,", r"(?<=[A-Za-z], )\d{1,2}(?=,)", 0.45),
        ("(N)", r"(?<=[(,] )\d{1,2}(?=\))|(?<=\()\d{1,2}(?=[),])", 0.45),
    ],
}
# "(gay, 34)" is an age only next to a person; these need a context word.
PATTERN_CONTEXT = {"AGE": ["aged", "age", "old", "year", "years", "born", "she", "he", "is",
                           "was"]}


def pattern_recognizers() -> list[Any]:
    """Street addresses, GPS coordinates, social handles and ages."""
    from presidio_analyzer import Pattern, PatternRecognizer

    recognizers = []
    for entity, patterns in PATTERNS.items():
        recognizers.append(PatternRecognizer(
            supported_entity=entity,
            name=f"{entity.title().replace('_', '')}Recognizer",
            patterns=[Pattern(name, regex, score) for name, regex, score in patterns],
            context=PATTERN_CONTEXT.get(entity),
            # Case matters for addresses (capitalised street names); the
            # patterns say so where it does not.
            global_regex_flags=re.MULTILINE | (0 if entity == "STREET_ADDRESS" else re.IGNORECASE),
        ))
    return recognizers


# --- names the small NER model misses ---------------------------------------

@cache
def given_names() -> AbstractSet[str]:
    """Given names of every locale Faker knows (about 30,000), lower case,
    without those that are also everyday words (rose, may, hunter)."""
    from .analyzer import settings_data

    ambiguous = settings_data()["ambiguous_given_names"]
    digest = hashlib.sha256("\n".join(sorted(ambiguous)).encode()).hexdigest()[:16]
    return _faker_names(("first_names", "first_names_male", "first_names_female"),
                        without=frozenset(ambiguous), variant=f"without {digest}")


@cache
def surnames() -> AbstractSet[str]:
    """Family names of every locale Faker knows (about 28,000), lower case.
    Many are English words (Smith, Baker, Young): they only back up what
    the NER model already calls a person, never find one alone."""
    return _faker_names(("last_names", "last_names_male", "last_names_female"))


def _faker_names(attributes: tuple[str, ...], without: frozenset[str] = frozenset(),
                 variant: str = "") -> AbstractSet[str]:
    """The names in ``attributes`` of each locale's person provider, less
    ``without``. Building them imports Faker's hundred locale modules
    (about 0.2 s), so the list is kept beside the result cache, keyed by
    Faker's version (and ``variant``, which names what was left out), and
    searched in place: a cached run's masking gate reads a few lines of
    one file."""
    from aiart_release.cache import derived_lexicon
    from aiart_release.plugins import installed_version as version

    return derived_lexicon("faker-" + "-".join(attributes),
                           f"faker {version('faker')} names 2 {variant}",
                           lambda: _build_faker_names(attributes) - without)


def _build_faker_names(attributes: tuple[str, ...]) -> set[str]:
    import importlib
    import pkgutil

    import faker.providers.person as people

    names: set[str] = set()
    for module_info in pkgutil.iter_modules(people.__path__):
        try:
            module = importlib.import_module(f"{people.__name__}.{module_info.name}")
        except Exception:  # noqa: BLE001 - a locale that fails to import is skipped
            continue
        provider = getattr(module, "Provider", None)
        for attribute in attributes:
            value = provider.__dict__.get(attribute) if provider is not None else None
            if isinstance(value, dict):
                value = list(value)
            if isinstance(value, (list, tuple, set, frozenset)):
                names.update(n.lower() for n in value if isinstance(n, str) and len(n) > 1)
    return names


_PARTICLES = r"(?:de|da|di|del|della|dos|das|van|von|der|den|le|la|bin|ibn|al|el)"
_CAP = r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+"
_LOW = r"[a-zß-öø-ÿā-ž][\w'’-]+"
_CREDIT_CUE = (r"(?:\bart by|\bby|\bafter|\bstyle of|\binspired by|\bhomage to|\bpainted by|"
               r"\bdrawn by|\billustrated by|\bphoto(?:graph)? by|\bshot by|\bmanner of)")
_CAPITALISED_NAME = LazyPattern(
    rf"(?<![\w'’-])({_CAP})((?:\s+(?:{_PARTICLES}\s+)?{_CAP}){{1,3}})(?![\w'’-])")
_PROMPT_NAME = LazyPattern(rf"{_CREDIT_CUE}\s+({_LOW})\s+({_LOW})(?=\s*(?:,|;|\.|\band\b|$))",
                          re.IGNORECASE)
# A lone given name, not starting the text, possibly possessive ("Priya's").
_TITLE = r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž]+"  # Title case only: "LoRA" is no name
_SINGLE_NAME = LazyPattern(rf"(?<=[\w,;:(&] )({_TITLE})(?=(?:'s|’s)?(?![\w'’-])(?!\s+[A-Z]))")
# A distinctive given name alone, whose case says nothing (names.py).
LONE_NAME_SCORE = 0.45
_CUE_SINGLE = LazyPattern(rf"{_CREDIT_CUE}\s+({_CAP})(?=\s*(?:,|;|\.|\)|\band\b|$))")


# Words after which a capitalised word names a place: "sunset over Venice".
_PLACE_BEFORE = LazyPattern(
    r"\b(?:in|at|from|to|into|near|across|around|over|through|via|of|visit|visited|"
    r"visiting)\s+$", re.IGNORECASE)


def _places(text: str, nlp_artifacts: Any) -> list[tuple[int, int]]:
    """Spans the NER model calls places or nationalities, where a given name
    is no name: a nationality that is an adjective ("French", "Muslim"); a
    place, less the given names it guesses are places from their capital
    alone ("about Mariah", "when Tiana's daddy"): a one-word "place" that is
    a given name no English dictionary lists (WordNet lists Houston, Kenya,
    Florida) and that no place word ("in", "from", "over"...) comes before."""
    from .names import distinctive_given_names, everyday_words

    names = distinctive_given_names()
    places = []
    for e in getattr(nlp_artifacts, "entities", ()):
        if e.label_ in ("NORP", "NRP"):
            if e.text.lower() in everyday_words():
                places.append((e.start_char, e.end_char))
            continue
        if e.label_ not in ("GPE", "LOC", "FAC", "LOCATION"):
            continue
        if (e.text.istitle() and e.text.lower() in names
                and not _PLACE_BEFORE.search(text, max(0, e.start_char - 12), e.start_char)):
            continue
        places.append((e.start_char, e.end_char))
    return places


def name_recognizers() -> list[Any]:
    """PERSON from a given-name lexicon and credit phrases ("by greg
    rutkowski", "inspired by Caravaggio", "Contact: Kwame Asante"), for names
    en_core_web_sm misses or calls organisations."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    from .analyzer import settings_data
    from .names import lone_names

    lexicon = given_names()
    not_name = set(settings_data()["not_name_words"])

    def plausible(tokens: list[str]) -> bool:
        return not any(t.lower().strip(".'’") in not_name for t in tokens)

    class GivenNameRecognizer(EntityRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            if "PERSON" not in entities:
                return []
            results = []
            for match in _CAPITALISED_NAME.finditer(text):
                # "Contact Kwame Asante": the name starts at the first given name.
                words = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", match.group(0))]
                for i, (offset, word) in enumerate(words[:-1]):
                    if word.lower() in lexicon:
                        tokens = [w for _, w in words[i:]]
                        if plausible(tokens):
                            results.append(RecognizerResult(
                                "PERSON", match.start() + offset, match.end(), 0.7))
                        break
            for match in _PROMPT_NAME.finditer(text):
                first, last = match.group(1), match.group(2)
                if first.lower() in lexicon and plausible([first, last]) and \
                        last.lower() not in lexicon | {"the", "a", "an"}:
                    results.append(RecognizerResult("PERSON", match.start(1), match.end(2), 0.6))
            places = _places(text, nlp_artifacts)
            for match in _SINGLE_NAME.finditer(text):
                name = match.group(1)
                if any(a <= match.start(1) < b for a, b in places):
                    continue  # "sunset over Venice": the model knows it is a place
                if name.lower() in lexicon and plausible([name]) and not any(
                        r.start <= match.start() < r.end for r in results):
                    results.append(RecognizerResult("PERSON", match.start(1), match.end(1), 0.5))
            for match in _CUE_SINGLE.finditer(text):
                if plausible([match.group(1)]):
                    results.append(RecognizerResult("PERSON", match.start(1), match.end(1), 0.55))
            # Names whose case says nothing ("wow emma and kaite", "Casey is
            # great", "THANKS OBAMA"): only given names that are no English word.
            for start, end in lone_names(text):
                if plausible([text[start:end]]) and not any(
                        r.start <= start < r.end for r in results) and not any(
                        a <= start < b for a, b in places):
                    results.append(RecognizerResult("PERSON", start, end, LONE_NAME_SCORE))
            return results

    return [GivenNameRecognizer(supported_entities=["PERSON"], name="GivenNameRecognizer",
                                supported_language="en")]
