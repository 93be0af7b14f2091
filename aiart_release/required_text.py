"""The text every match of a pattern must hold, to rule a text out without
compiling the pattern.

A long alternation of terms (the personal-data check's trait cue: about
400 words and phrases) takes milliseconds to compile, and most texts hold
none of its terms: on a pre-commit run of one caption that compile was the
largest part of the caption's scan. Each alternative of such a pattern
holds a run of literal characters that every match of it contains ("hiv"
of ``hiv(?:[- ]positive)?``, " patient" of ``(?:a|the|my) patient``). A
text that contains none of the runs cannot match, and saying so takes a
few substring tests.

The runs are read from the pattern's parse tree (``re``'s own parser). A
run is only ever shortened, never lengthened, by what the reading does not
follow (a group of alternatives, a case-insensitive part, a repetition
that may be absent): the screen may let a text through that cannot match,
never rule out one that can.
"""

from __future__ import annotations

import re


def required_runs(pattern: str, shortest: int = 2) -> list[str] | None:
    """Runs of literal characters one of which every match of ``pattern``
    contains: the longest run an alternative always matches, or, for one
    with none of ``shortest`` characters, the runs of a group of
    alternatives it always matches. None when some alternative offers
    nothing (nothing can then be ruled out), when the whole pattern ignores
    case, or when this Python's parser is not the one this reading knows."""
    try:
        from re import _constants as c
        from re import _parser

        tree = _parser.parse(pattern)
    except (ImportError, AttributeError, re.error):
        return None
    if tree.state.flags & re.IGNORECASE:
        return None
    return _requirement(list(tree.data), c, shortest)


def _requirement(items: list, c, shortest: int) -> list[str] | None:
    """Runs one of which every match of the sequence ``items`` holds: of
    what it always matches (a run of its own; a group of alternatives, one
    run each), what rules out most texts, that is whose shortest run is
    longest ("descent", "heritage", "origin" rather than the "of " of
    ``of [a-z]+ (?:descent|heritage|origin)``)."""
    candidates = []
    longest = max(_runs(items, c), key=len, default="")
    if len(longest) >= shortest:
        candidates.append([longest])
    for op, argument in items:
        if op is c.BRANCH:  # one of its alternatives is always matched
            options = [_requirement(list(alternative.data), c, shortest)
                       for alternative in argument[1]]
            if all(option is not None for option in options):
                candidates.append([run for option in options for run in option])
        elif op is c.SUBPATTERN and not argument[1] & re.IGNORECASE:
            candidates.append(_requirement(list(argument[3].data), c, shortest))
        elif op in _REPEATS and argument[0] >= 1:
            candidates.append(_requirement(list(argument[2].data), c, shortest))
    found = [runs for runs in candidates if runs]
    return max(found, key=lambda runs: min(map(len, runs))) if found else None


def _runs(items: list, c) -> list[str]:
    """Every run of literal characters the sequence ``items`` (a parse
    tree's list of ``(op, argument)``) always matches, in order."""
    runs: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            runs.append("".join(current))
            current.clear()

    for op, argument in items:
        if op is c.LITERAL:
            current.append(chr(argument))
            continue
        close()
        if op is c.SUBPATTERN:
            _group, add_flags, _del_flags, inner = argument
            if not add_flags & re.IGNORECASE:
                runs.extend(_runs(list(inner.data), c))  # a branch inside gives none
        elif op in _REPEATS:
            low, _high, inner = argument
            if low >= 1:  # matched at least once: its runs are in every match
                runs.extend(_runs(list(inner.data), c))
        # Anything else (a class, a branch, an assertion, a reference)
        # matches no fixed text: it ends the run.
    close()
    return runs


try:
    from re import _constants as _c

    _REPEATS = tuple(getattr(_c, name) for name in ("MAX_REPEAT", "MIN_REPEAT",
                                                    "POSSESSIVE_REPEAT") if hasattr(_c, name))
except ImportError:  # another Python's parser: required_runs answers None
    _REPEATS = ()
