"""What a dataset card says about the people its data shows.

A release often holds the card and the download script of a dataset, not
its images (FFHQ's repository: "a high-quality image dataset of human
faces", 70,000 photographs crawled from Flickr). The faces check never sees
a pixel, yet a reviewer reading the card knows the data shows real people
who can be identified. This module finds that statement, says where it is
and what the card says about consent, and the cards check reports it
(``consent.people-described``) for the policy to weigh.

A statement counts when a sentence of the card's prose (not a heading,
code, a citation or a licence section) says what the data *is* or *holds*:
a dataset, collection or set of photographs of faces, people, portraits,
selfies or celebrities; face or portrait images; recordings of speakers.
It does not count when the same sentence says the people are synthetic,
drawn, painted or animals, or when the card says its data shows nobody or
that faces were blurred or removed.

Nor is it a statement when the words are a name or a question: the text of a
link ("[DiffusionDB Hugging Face Dataset](...)"), a metadata bullet whose
value is only a link or an address ("- **Distribution:** [...](...)"), Title Case words that
name something ("Hugging Face Dataset"), a question (a sentence ending in
"?") and the bold prompts of a Datasheets questionnaire ("**Does the dataset
contain data ... individuals' non-public communications?**"): an answer
under the prompt still counts.
"""

from __future__ import annotations

import re
from functools import cache

from aiart_release.records import dataclass

# Every pattern is compiled on first use, as in the rest of the cards
# plugin: a run that reads no card compiles none of them.


# Sections whose sentences describe other work, not this data.
@cache
def aside_heading() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:citations?|cite|bibtex|acknowledg(?:e)?ments?|references?|related\s+work|"
        r"licen[cs]es?|terms|contact|changelog|news|updates?|faq)\b", re.I)

_WHO = (r"(?:human\s+|real\s+|celebrity\s+|people'?s\s+)?"
        r"(?:faces|people|persons|humans|individuals|celebrities|pedestrians|selfies|"
        r"headshots|participants|volunteers|speakers|actors)")
# Up to N words between ("70,000 high-quality", "young"), none that starts
# another phrase ("a set of tools for people", "code to crop faces").
_GAP = (r"(?:(?!(?:for|by|to|from|with|about|who|that|which|and|or|in|on|at|without)\b)"
        r"[\w,.+'-]+\s+)")
_WHAT = (r"(?:dataset|data\s*set|collection|corpus|set|images?|photos?|photographs?|pictures?|"
         r"videos?|clips?|footage|recordings?|scans?|crops?)")
# "a dataset of human faces", "images of people", "photographs of 1,000 individuals"
_OF_PEOPLE = rf"\b{_WHAT}\s+of\s+{_GAP}{{0,3}}?{_WHO}\b"
# "face images", "selfie dataset", "celebrity photos", "portrait photographs"
# (a portrait alone may be a painting)
_PEOPLE_KIND = (r"\b(?:(?:face|facial|selfie|headshot|celebrity|people|person|human|"
                r"pedestrian|speaker|voice)\s+" + _WHAT + r"|portrait\s+photo(?:graph)?s?)\b")
# "contains 3,000 faces", "shows people", "features portraits of"
_HOLDS = (r"\b(?:contains?|consists?\s+of|includes?|comprises?|shows?|depicts?|features?|"
          r"captures?)\s+" + _GAP + r"{0,4}?" + _WHO + r"\b")


@cache
def _statement() -> re.Pattern[str]:
    return re.compile("|".join((_OF_PEOPLE, _PEOPLE_KIND, _HOLDS)), re.I)


# In the same sentence: the people are not real ones.
@cache
def _not_real() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:synthetic|generated|ai[- ]generated|fake|artificial|rendered|cgi|3d\s+models?|"
        r"drawn|drawings?|cartoons?|anime|manga|illustrat\w+|paint(?:ed|ings?)|artworks?|"
        r"works?\s+of\s+art|museums?|"
        r"statues?|sculptures?|dolls?|mannequins?|masks?|animals?|cats?|dogs?|pets?|"
        r"wildlife|emoji)\b", re.I)


# A card that says its data shows nobody (which also answers who is in it,
# and consent with it: Datasheets ask about consent for data about people).
@cache
def no_people() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:no|without)\s+(?:people|persons|humans|human\s+figures|faces|individuals)\b|"
        r"\bnobody\s+is\s+(?:shown|depicted|pictured)|\b(?:does|do)\s+not\s+(?:contain|show|depict)"
        r"\s+(?:any\s+)?(?:people|persons|faces|humans)\b", re.I)


# ... or that the faces were taken out.
@cache
def _faces_removed() -> re.Pattern[str]:
    return re.compile(
        r"\bfaces?\s+(?:(?:have|has|had)\s+been|were|are|was|is)\s+(?:\w+\s+)?"
        r"(?:blurred|pixelated|masked|removed|anonymi[sz]ed|obscured|redacted)\b", re.I)


# What the card says about consent: the people agreed...
@cache
def _consent_given() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:(?:gave|given|obtained|signed|with|under)\s+(?:their\s+|the\s+)?(?:written\s+|"
        r"informed\s+|explicit\s+)*consent|consented|model\s+releases?|release\s+forms?)\b",
        re.I)


# ... or may ask to be taken out.
@cache
def _opt_out() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:opt[- ]?out|(?:get|have)\s+(?:your|their|the)\s+(?:photo|image|picture|data)s?\s+"
        r"removed|remov(?:e|al)\s+(?:request|on\s+request)|request\s+(?:the\s+)?removal|"
        r"takedown|take\s+down)\b", re.I)


@dataclass(frozen=True)
class PeopleStatement:
    """Where the card says its data shows people, and what it says of consent."""

    line: int
    sentence: str
    consent: str  # "given" | "opt-out" | "none"


# A Markdown link: its text names the page it points to, it says nothing of
# the data ("[DiffusionDB Hugging Face Dataset](https://...)").
@cache
def _link() -> re.Pattern[str]:
    return re.compile(r"!?\[[^\]\n]{0,300}\]\([^)\s]{0,500}(?:\s+\"[^\"\n]{0,200}\")?\)")


# "- **Homepage:** ...", "* Distribution: ...": a bullet that gives a field of
# the card's metadata; it is a statement only if its value says something
# once links and bare addresses are gone (its key is a label, not a sentence).
@cache
def _metadata_bullet() -> re.Pattern[str]:
    return re.compile(r"\s{0,3}[-*+]\s+(?:\*\*|__)?[A-Z][\w ./&-]{0,40}?:(?:\*\*|__)?:?\s*(.*)")


# The bold prompt of a questionnaire (Datasheets for Datasets): "**Does the
# dataset relate to people?**". The answer follows it.
@cache
def _bold_question() -> re.Pattern[str]:
    return re.compile(r"(\*\*|__)[^*_\n]{1,1000}?\?\s*\1")


_MINOR_WORDS = frozenset({"of", "the", "a", "an", "and", "for", "in", "on"})


def _names_something(match: str) -> bool:
    """Whether the words that matched are a Title Case name ("Hugging Face
    Dataset", "Images of People"): each word of two or more capitalised."""
    words = [w for w in re.findall(r"[^\W\d_][\w'-]*", match) if w.lower() not in _MINOR_WORDS]
    return len(words) >= 2 and all(w[0].isupper() for w in words)


# A link's text stays in the sentence between these marks, for the quote and
# for the name a README is about, but no statement is read inside them.
_OPEN, _CLOSE = "\u2039", "\u203a"


def _prose_of(text: str) -> str:
    """A line's words less what cannot state anything: link texts (kept
    between marks) and addresses, a metadata bullet's bare value,
    questionnaire prompts."""
    text = _link().sub(lambda m: _OPEN + _link_text(m.group(0)) + _CLOSE, text)
    text = re.sub(r"<?https?://\S{1,500}", " ", _bold_question().sub(" ", text))
    bullet = _metadata_bullet().fullmatch(_outside_links(text))
    if bullet and not bullet.group(1).strip(" *_.,;"):
        return ""
    return text


def _link_text(link: str) -> str:
    return link[link.index("[") + 1:link.index("](")].replace(_OPEN, "").replace(_CLOSE, "")


def _outside_links(text: str) -> str:
    return re.sub(f"{_OPEN}[^{_CLOSE}]*{_CLOSE}", " ", text)


def _unmarked(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "")


def _states_people(sentence: str) -> bool:
    sentence = _outside_links(sentence)
    if sentence.rstrip(" *_)\"'").endswith("?"):
        return False  # a question asks, it does not say
    return any(not _names_something(m.group(0)) for m in _statement().finditer(sentence))


@cache
def _sentence_end() -> re.Pattern[str]:
    return re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[\u2039])")


_SHOWN_CHARS = 110


def people_statement(card_text: str, lines,
                     about: re.Pattern[str] | None = None) -> PeopleStatement | None:
    """The first sentence of a dataset card saying its data shows real
    people, or None. ``lines`` are the card's Markdown lines
    (``cards.markdown_lines``); ``about``: only a sentence it matches
    counts."""
    if no_people().search(card_text) or _faces_removed().search(card_text):
        return None
    aside = False
    found: tuple[int, str] | None = None
    for line in lines:
        if line.heading:
            aside = bool(aside_heading().search(line.heading[1]))
            continue
        if line.code or aside or not line.text.strip():
            continue
        for sentence in _sentence_end().split(_prose_of(line.text).strip()):
            if (_states_people(sentence) and not _not_real().search(sentence)
                    and (about is None or about.search(_unmarked(sentence).replace("*", "")))):
                found = (line.number, _unmarked(sentence))
                break
        if found:
            break
    if found is None:
        return None
    consent = ("given" if _consent_given().search(card_text)
               else "opt-out" if _opt_out().search(card_text) else "none")
    return PeopleStatement(found[0], _shortened(found[1]), consent)


def self_described(readme: str, lines) -> PeopleStatement | None:
    """What a top-level README that is no card says of the data the release
    names itself after: a sentence that names the README's title and the
    word dataset ("**CelebAMask-HQ** is a large-scale face image dataset
    that has 30,000 high-resolution face images"). A code README that says
    it trained on a dataset of faces names another dataset, not itself."""
    lines = list(lines)
    title = next((line.heading[1] for line in lines if line.heading), "")
    name = re.sub(r"[*_`\[\]]+", "", title).strip()
    if len(name) < 3:
        return None
    about = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-]).*\bdata\s*set\b", re.I)
    return people_statement(readme, lines, about)


def _shortened(sentence: str) -> str:
    sentence = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", sentence)  # links: their text
    sentence = re.sub(r"[*_`]+", "", sentence).strip()
    if len(sentence) <= _SHOWN_CHARS:
        return sentence
    return sentence[:_SHOWN_CHARS - 1].rsplit(" ", 1)[0] + "…"
