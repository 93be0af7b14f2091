"""Exclude and artifact globs: gitignore's meaning, matched in linear time.

hypothesis is not installed here, so the comparisons run on seeded random
cases written by hand: thousands of patterns and paths, the same each run.
"""

from __future__ import annotations

import fnmatch
import random
import time

import pytest
from conftest import make_bundle

from aiart_release.globs import GlobError, GlobSet, glob_match

HOSTILE = "*a" * 16 + "*b"  # fnmatch and pathspec backtrack for hours on long names


def _random_text(rng: random.Random, alphabet: str, longest: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


def test_glob_match_agrees_with_fnmatch_on_random_cases():
    rng = random.Random(20261129)
    for _ in range(20_000):
        pattern = _random_text(rng, "ab*?[]!-c\\", 9)
        name = _random_text(rng, "abc-!/[]\\", 9)
        assert glob_match(pattern, name) == fnmatch.fnmatchcase(name, pattern), (pattern, name)


@pytest.mark.parametrize("pattern, name, expected", [
    ("*.txt", "notes.txt", True),
    ("*.txt", "dir/notes.txt", True),  # fnmatch: * crosses /
    ("[!a]b", "cb", True),
    ("[!a]b", "ab", False),
    ("[a-c]x", "bx", True),
    ("[", "[", True),  # an unclosed [ is itself
    ("a\\b", "a\\b", True),  # no escapes in fnmatch
])
def test_glob_match_examples(pattern, name, expected):
    assert glob_match(pattern, name) is expected


_PIECES = ["a", "b", "*", "**", "?", "[ab]", "[a-b]", "/", "a/", "!", "\\*", "#", " ",
           "[", "\\", "/**/", "c[!a]"]


def _random_pattern(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5)))


def _random_path(rng: random.Random) -> str:
    segments = [_random_text(rng, "ab", 3) or "a" for _ in range(rng.randint(1, 4))]
    return "/".join(segments) + ("/" if rng.random() < 0.3 else "")


@pytest.mark.filterwarnings("ignore::FutureWarning")  # pathspec's "[[" classes
def test_gitignore_sets_agree_with_pathspec_on_random_cases():
    pathspec = pytest.importorskip("pathspec")
    rng = random.Random(10)
    compared = 0
    for _ in range(15_000):
        lines = [_random_pattern(rng) for _ in range(rng.randint(1, 3))]
        try:
            theirs = pathspec.GitIgnoreSpec.from_lines(lines)
        except ValueError:
            with pytest.raises(GlobError):
                GlobSet(lines)
            continue
        ours = GlobSet(lines)
        # The one deliberate difference: pathspec's [!a] matches "/".
        if any("[!" in line for line in lines):
            continue
        for _ in range(4):
            path = _random_path(rng)
            assert ours.match_file(path) == theirs.match_file(path), (lines, path)
            compared += 1
    assert compared > 30_000


@pytest.mark.parametrize("lines, path, expected", [
    (["scratch/"], "scratch/", True),
    (["scratch/"], "a/scratch/notes.txt", True),
    (["scratch/"], "scratch", False),  # a file named like the folder
    (["/top.txt"], "top.txt", True),
    (["/top.txt"], "sub/top.txt", False),
    (["docs/*.md"], "docs/a.md", True),
    (["docs/*.md"], "docs/sub/a.md", False),
    (["weights/**"], "weights/a/b.safetensors", True),
    (["a/**/b"], "a/x/y/b", True),
    (["a/**/b"], "a/b", True),
    (["*.tmp", "!keep.tmp"], "keep.tmp", False),
    (["*.tmp", "!keep.tmp"], "drop.tmp", True),
    (["[a-c]?.png"], "b1.png", True),
    (["[!a]x"], "a/x", False),  # a class never matches "/"
    (["\\#name"], "#name", True),
    (["#comment"], "#comment", False),
])
def test_gitignore_examples(lines, path, expected):
    assert GlobSet(lines).match_file(path) is expected


@pytest.mark.parametrize("line", ["foo\\", "!", "a/b\\"])
def test_an_unreadable_pattern_is_refused(line):
    with pytest.raises(GlobError, match="invalid pattern"):
        GlobSet([line])


def test_hostile_patterns_do_not_backtrack():
    # Was: fnmatch/pathspec regular expressions, hours on one name. Bound is
    # generous; it proves "does not hang", not a speed.
    started = time.monotonic()
    assert not glob_match(HOSTILE, "a" * 10_000)
    assert not GlobSet([HOSTILE, "**/" + HOSTILE + "/**"]).match_file(
        "/".join(["a" * 250] * 40))
    assert time.monotonic() - started < 10


def test_a_hostile_exclude_glob_does_not_stall_the_assessment(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "a" * 200 + "/" + "a" * 200 + ".txt": "hello\n",
        "data/" + "a" * 220: "x\n",
    })
    started = time.monotonic()
    result = cli("assess", bundle, "--exclude", HOSTILE, "-f", "json")
    assert result.code in (0, 1), result.err
    assert result.json()["bundle"]["files"] == 3  # nothing ends in b: nothing excluded
    assert time.monotonic() - started < 60
