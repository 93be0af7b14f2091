"""Gitignore-style globs (``exclude``, ``artifacts``), matched in linear time.

The patterns come from the command line, from ``aiart-release.yaml`` and so
from any bundle's own config. Translated to a regular expression, as
``fnmatch`` and ``pathspec`` do, a pattern such as
``*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b`` backtracks for hours on a long file
name. Here a pattern is matched without backtracking:

- within a path segment, ``*``, ``?`` and ``[...]`` are matched with the
  two-pointer wildcard algorithm (on a mismatch, resume after the last
  ``*``, one character further): at most length of name x length of
  pattern steps;
- across segments, ``**`` is matched the same way one level up, a segment
  standing for a character.

The meaning is gitignore's, as pathspec's ``GitIgnoreSpec`` gives it (the
tests compare the two on many random patterns and paths): a pattern without
a slash matches at any depth; a leading ``/`` or a slash inside anchors it to
the bundle's root; a trailing ``/`` matches folders only; ``**`` is any number
of folders; a matched folder excludes everything below it; ``!`` re-includes;
``\\`` escapes; a later pattern wins over an earlier one. Two deliberate
differences: a ``[...]`` class never matches ``/`` (pathspec's ``[!a]``
does), and a newline in a file name is an ordinary character.
"""

from __future__ import annotations

from collections.abc import Iterable

from .records import dataclass


class GlobError(ValueError):
    """A pattern that cannot be read (a trailing lone backslash, nothing
    left once the ``!`` or slashes are taken away)."""


# Tokens within a segment: a literal character, "?" (ANY), "*" (STAR), or
# a class (a frozenset of ranges, negated or not).
_ANY, _STAR = object(), object()


@dataclass(frozen=True)
class _Class:
    ranges: tuple[tuple[str, str], ...]
    negated: bool

    def matches(self, char: str) -> bool:
        inside = any(low <= char <= high for low, high in self.ranges)
        return inside != self.negated


def _segment_tokens(glob: str) -> tuple | None:
    """The tokens of one segment's glob; None for an unclosed ``[`` (git
    ignores such a pattern, and so does pathspec). Raises GlobError."""
    tokens: list = []
    i, end = 0, len(glob)
    while i < end:
        char = glob[i]
        i += 1
        if char == "\\":
            if i == end:
                raise GlobError("ends with a lone backslash")
            tokens.append(glob[i])
            i += 1
        elif char == "*":
            tokens.append(_STAR)
        elif char == "?":
            tokens.append(_ANY)
        elif char == "[":
            parsed = _class(glob, i)
            if parsed is None:
                return None
            token, i = parsed
            tokens.append(token)
        else:
            tokens.append(char)
    return tuple(tokens)


def _class(glob: str, start: int) -> tuple[_Class, int] | None:
    """The class that opens just before ``start``, and where it ends; None
    when it never closes. As in git: ``!`` or ``^`` first negates, a ``]``
    right after that is a member, ``a-z`` is a range, a backslash is itself."""
    j = start
    negated = j < len(glob) and glob[j] in "!^"
    if negated:
        j += 1
    body_start = j
    if j < len(glob) and glob[j] == "]":
        j += 1
    while j < len(glob) and glob[j] != "]":
        j += 1
    if j >= len(glob):
        return None
    body = glob[body_start:j]
    ranges = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            ranges.append((body[k], body[k + 2]))
            k += 3
        else:
            ranges.append((body[k], body[k]))
            k += 1
    return _Class(tuple(ranges), negated), j + 1


def _token_matches(token, char: str, slash: bool) -> bool:
    if token is _ANY:
        return not slash or char != "/"
    if isinstance(token, _Class):
        return (not slash or char != "/") and token.matches(char)
    return token == char


def match_segment(tokens: tuple, name: str, slash: bool = True) -> bool:
    """Whether ``name`` matches the glob ``tokens``: the two-pointer wildcard
    match, no backtracking beyond the last ``*``. ``slash``: no wildcard
    matches a ``/`` (a path segment never holds one; fnmatch lets it)."""
    t = n = 0
    star_t, star_n = -1, 0
    while n < len(name):
        if t < len(tokens) and tokens[t] is _STAR:
            star_t, star_n = t, n
            t += 1
        elif t < len(tokens) and _token_matches(tokens[t], name[n], slash):
            t += 1
            n += 1
        elif star_t >= 0 and not (slash and name[star_n] == "/"):
            # Let the last star take one more character, and try again.
            star_n += 1
            t, n = star_t + 1, star_n
        else:
            return False
    while t < len(tokens) and tokens[t] is _STAR:
        t += 1
    return t == len(tokens)


def glob_match(pattern: str, name: str) -> bool:
    """``fnmatch.fnmatchcase(name, pattern)`` (``*``, ``?``, ``[seq]``,
    ``[!seq]``; ``*`` crosses ``/``; no escapes), in linear time."""
    return match_segment(_fnmatch_tokens(pattern), name, slash=False)


def _fnmatch_tokens(pattern: str) -> tuple:
    tokens: list = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        i += 1
        parsed = _class(pattern, i) if char == "[" else None
        if parsed is not None:
            tokens.append(parsed[0])
            i = parsed[1]
        elif char == "*":
            tokens.append(_STAR)
        elif char == "?":
            tokens.append(_ANY)
        else:
            tokens.append(char)  # a backslash, or an unclosed "[", is itself
    return tuple(tokens)


# --- gitignore patterns -----------------------------------------------------

# A pattern's segments: a test of one path segment (a callable), or DEEP
# ("**": any number of whole segments).
_DEEP = "deep"


def _nonempty(segment: str) -> bool:
    return bool(segment)


def _segment_test(tokens: tuple):
    """The quickest exact test for one segment's glob: string comparisons
    for the usual shapes (``name``, ``*.ext``, ``prefix*``, ``*part*``), the
    two-pointer match for the rest. Each takes linear time."""
    literal = all(isinstance(t, str) for t in tokens)
    if literal:
        return _Literal("".join(tokens))
    stars = [i for i, t in enumerate(tokens) if t is _STAR]
    rest = [t for t in tokens if t is not _STAR]
    if all(isinstance(t, str) for t in rest) and len(stars) <= 2:
        text = "".join(rest)
        if stars == [0] and len(tokens) > 1:
            return lambda seg: seg.endswith(text)
        if stars == [len(tokens) - 1] and len(tokens) > 1:
            return lambda seg: seg.startswith(text)
        if stars == [0, len(tokens) - 1] and len(tokens) > 2:
            return lambda seg: text in seg
        if len(stars) == 1:
            head, tail = "".join(tokens[:stars[0]]), "".join(tokens[stars[0] + 1:])
            return lambda seg: (len(seg) >= len(head) + len(tail) and seg.startswith(head)
                                and seg.endswith(tail))
    return lambda seg: match_segment(tokens, seg)


class _Literal(str):
    """A segment without wildcards: a test that is a string comparison, and
    a string, so that "is it any of these segments" is one ``in``."""

    def __call__(self, segment: str) -> bool:
        return segment == self


@dataclass(frozen=True)
class GitPattern:
    """One line of a gitignore-style list, read."""

    text: str
    include: bool  # True: the path is matched (excluded); False: "!" re-includes
    segments: tuple  # segment tests and _DEEP, the trailing "**" left out
    dir_only: bool  # written with a trailing "/"
    ends_deep: bool  # ended with "**": something below must follow
    # pathspec's shortcuts for patterns made only of "**" and "*" (see
    # _shortcut): "all" paths, or every path "below" a folder (as a folder
    # match with "below-folder").
    shortcut: str | None = None

    def match(self, segs: list[str]) -> int:
        """``segs``: the path split at "/". 0: no match; 1: matched as a
        folder above the path (or by a pattern for folders); 2: matched as
        the path itself."""
        if self.shortcut is not None:
            if self.shortcut == "all":
                return 2 if segs != [""] else 0
            return 0 if len(segs) < 2 else 1 if self.shortcut == "below-folder" else 2
        # After the pattern's last segment comes the end of the path (it
        # matched the path itself), or "/" and more (a folder above it); a
        # trailing "**" wants the "/".
        itself, below = _itself_and_below(self.segments, segs)
        if self.ends_deep:
            return 0 if not below else 1 if self.dir_only else 2
        return 2 if itself else 1 if below else 0


def _itself_and_below(segments: tuple, path: list[str]) -> tuple[bool, bool]:
    """Whether ``segments`` match the whole path, and whether they match
    the first k path segments for some k between 1 and all but one."""
    if len(segments) == 2 and segments[0] is _DEEP and segments[1] is not _DEEP:
        # "name" or "**/name", the usual pattern: any one segment will do.
        test = segments[1]
        above = path[:-1]
        below = test in above if isinstance(test, _Literal) else any(map(test, above))
        return test(path[-1]), below
    if _DEEP not in segments:
        count = len(segments)
        if count > len(path):
            return False, False
        matched = all(test(seg) for test, seg in zip(segments, path[:count], strict=True))
        return matched and count == len(path), matched and count < len(path)
    if segments[0] is not _DEEP and not segments[0](path[0]):
        return False, False  # anchored, and the first folder differs: the usual answer
    ends = _walk(segments, path)
    return ends[len(path)], any(ends[1:len(path)])


def _walk(segments: tuple, path: list[str]) -> list[bool]:
    """For each k, whether ``segments`` match the first k path segments: the
    states of a small automaton, advanced one path segment at a time (no
    backtracking)."""
    count = len(segments)

    def closure(states: set[int]) -> set[int]:
        out = set(states)
        for i in sorted(states):
            j = i
            while j < count and segments[j] is _DEEP:
                j += 1
                out.add(j)
        return out

    states = closure({0})
    ends = [count in states]
    for seg in path:
        following = set()
        for i in states:
            if i == count:
                continue
            if segments[i] is _DEEP:
                following.add(i)  # "**" takes this segment too
            elif segments[i](seg):
                following.add(i + 1)
        states = closure(following)
        ends.append(count in states)
        if not states:
            ends.extend([False] * (len(path) + 1 - len(ends)))
            break
    return ends


def read_pattern(line: str) -> GitPattern | None:
    """One pattern line; None for a blank line, a comment, ``/``, or a
    pattern git ignores (an unclosed ``[``). Raises GlobError."""
    text = line if line.endswith("\\ ") else line.rstrip()
    if not text or text.startswith("#") or text == "/":
        return None
    include = not text.startswith("!")
    body = text if include else text[1:]
    parts = body.split("/")
    dir_only = not parts[-1]
    parts = _normalise(parts)
    if parts is None:
        raise GlobError(f"{line!r}: nothing to match")
    shortcut = _shortcut(parts, dir_only)
    if shortcut is not None:
        return GitPattern(line, include, (), dir_only, False, shortcut)
    ends_deep = len(parts) > 1 and parts[-1] == "**"
    segments: list = []
    for part in parts[:-1] if ends_deep else parts:
        if part == "**":
            segments.append(_DEEP)
        elif part == "*":
            segments.append(_nonempty)
        else:
            tokens = _segment_tokens(part)
            if tokens is None:
                return None
            segments.append(_segment_test(tokens))
    return GitPattern(line, include, tuple(segments), dir_only, ends_deep)


def _normalise(parts: list[str]) -> list[str] | None:
    """Git's reading of the segments: a pattern of one segment matches at
    any depth (a leading ``**``); a leading ``/`` anchors; a trailing ``/``
    becomes a trailing ``**``; repeated ``**`` are one."""
    parts = list(parts)
    if not parts[0]:
        del parts[0]
    elif len(parts) == 1 or (len(parts) == 2 and not parts[1]):
        if parts[0] != "**":
            parts.insert(0, "**")
    if not parts:
        return None
    if not parts[-1]:
        parts[-1] = "**"
    out: list[str] = []
    for part in parts:
        if not (part == "**" and out and out[-1] == "**"):
            out.append(part)
    return out


def _shortcut(parts: list[str], dir_only: bool) -> str | None:
    """pathspec's special cases, kept so that the two agree: ``**`` and
    ``*`` match every path; ``**/`` and ``*/**`` every path below a folder."""
    if parts == ["**"]:
        return "below-folder" if dir_only else "all"
    if parts == ["**", "*"]:
        return "all"
    if parts == ["**", "*", "**"]:
        return "below-folder" if dir_only else "below"
    return None


class GlobSet:
    """A list of gitignore-style patterns. The last pattern that matches the
    path itself decides; failing one, the last that matches a folder above
    it (as pathspec's GitIgnoreSpec). Folders are given with a trailing
    ``/``."""

    def __init__(self, lines: Iterable[str]):
        self.patterns: list[GitPattern] = []
        for line in lines:
            try:
                pattern = read_pattern(line)
            except GlobError as exc:
                raise GlobError(f"invalid pattern {line!r}: {exc}") from None
            if pattern is not None:
                self.patterns.append(pattern)

    def match_file(self, path: str) -> bool:
        segs = path.split("/")
        decided, weight = None, 0
        for pattern in reversed(self.patterns):
            strength = pattern.match(segs)
            if strength > weight:
                decided, weight = pattern.include, strength
                if strength == 2:
                    break
        return bool(decided)
