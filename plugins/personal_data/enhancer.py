"""Context enhancement over a bounded window of tokens.

Presidio raises a pattern result's score when one of its recognizer's
context words ("phone", "passport") stands among the few words before it.
Its ``LemmaContextAwareEnhancer`` looks for those words by walking the token
list from the result outwards until it has collected *n* keywords, and tests
each token against the keyword *list*. On number-dense text (a training log:
``step 3 loss 0.69 lr 0.00026``) almost no token is a keyword, so every walk
goes to the ends of the text and each test scans the list: the cost is
(results x tokens x keywords). With our NER-only pipeline it was worse: the
keywords were computed from lemmas spaCy no longer sets, so none matched,
every walk went to the ends, and no context word ever counted. A 100-line log
took 13 s, a 1.6 MB one never finished.

Here the walk is bounded: at most ``WINDOW_TOKENS`` tokens each way, tested
one by one (stop word? punctuation?) on the token itself, and the match's
token is found by bisection. The cost is linear in the number of results,
and a context word counts where a reader would see it: in the same phrase.
The analyzer asks for whole-word matching: "Licensed from Stockfoto, image
ID 448213" has no driving licence in it.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

# Tokens looked at on each side of a result. Presidio collects 5 keywords
# before a result (stop words and punctuation skipped, so a few more tokens).
WINDOW_TOKENS = 12


def keywords(doc: Any) -> list[str]:
    """Presidio's keywords (lower-case words that are neither stop words nor
    punctuation), from the tokens themselves: our pipeline has no lemmas."""
    return [part for token in doc if not _skipped(token) for part in token.lower_.split(":")]


def _skipped(token: Any) -> bool:
    return token.is_stop or token.is_punct or token.is_space


class LazyArtifacts(NlpArtifacts):
    """NLP artifacts whose keywords are computed on first use (the bounded
    enhancer looks at tokens, not at this list)."""

    def __init__(self, *, engine: Any, **kwargs: Any):
        super().__init__(**kwargs)  # built with no engine: no keyword pass
        self.nlp_engine = engine

    @property
    def keywords(self) -> list[str]:
        if self._keywords is None:
            self._keywords = keywords(self.tokens)
        return self._keywords

    @keywords.setter
    def keywords(self, value: list[str]) -> None:
        self._keywords = value or None


class BoundedContextEnhancer(LemmaContextAwareEnhancer):
    """``LemmaContextAwareEnhancer`` with a bounded window (see the module)."""

    def _extract_surrounding_words(self, nlp_artifacts: Any, word: str, start: int) -> list[str]:
        tokens = nlp_artifacts.tokens
        indices = nlp_artifacts.tokens_indices
        if not indices:
            return [""]
        index = token_at(indices, tokens, start)
        before = _collect(tokens, range(index, max(-1, index - WINDOW_TOKENS - 1), -1),
                          self.context_prefix_count + 1)
        after = _collect(tokens, range(index, min(len(indices), index + WINDOW_TOKENS + 1)),
                         self.context_suffix_count + 1)
        return list(set(before + after))


def token_at(indices: list[int], tokens: Any, start: int) -> int:
    """The token holding character ``start`` (or the next one), as Presidio
    finds it, by bisection instead of a walk from the first token."""
    index = max(0, bisect_right(indices, start) - 1)
    if start >= indices[index] + len(tokens[index]) and index + 1 < len(indices):
        index += 1
    return index


def _collect(tokens: Any, positions: range, wanted: int) -> list[str]:
    """Up to ``wanted`` keywords at ``positions``; the result's own token
    counts too, as in Presidio (a context word glued to the match)."""
    found: list[str] = []
    for i in positions:
        token = tokens[i]
        if _skipped(token):
            continue
        found.extend(token.lower_.split(":"))
        if len(found) >= wanted:
            break
    return found
