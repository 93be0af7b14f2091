"""Data built from installed packages (the name lexicons from Faker's
locales) is kept beside the result cache, so that a cached run's masking
gate reads one file instead of importing a hundred modules."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from aiart_release import cache


def test_derived_data_is_built_once_then_read(tmp_path, monkeypatch):
    builds = []

    def build():
        builds.append(1)
        return ["ana", "kofi"]

    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    assert cache.derived("names", "faker 1", build) == ["ana", "kofi"]
    assert cache.derived("names", "faker 1", build) == ["ana", "kofi"]
    assert len(builds) == 1
    # Another version of what it was built from: built anew.
    cache.derived("names", "faker 2", build)
    assert len(builds) == 2


def test_a_spoiled_derived_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    cache.derived("names", "k", lambda: ["ana"])
    (stored,) = (tmp_path / "derived").iterdir()
    for spoiled in ("{not json", '{"a": 1}', "[1, 2]"):
        stored.write_text(spoiled)
        assert cache.derived("names", "k", lambda: ["ana"]) == ["ana"]
    stored.unlink()
    stored.mkdir()  # a folder where the file was: built, and the run goes on
    assert cache.derived("names", "k", lambda: ["ana"]) == ["ana"]


def test_nothing_is_kept_without_a_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_derived_root", None)
    assert cache.derived("names", "k", lambda: ["ana"]) == ["ana"]
    assert not any(tmp_path.iterdir())


def _forget_lexicons():
    """The lexicons are kept in memory once built: forget them, as a new
    process would."""
    from aiart_release.default_plugins.personal_data import maskers, recognizers

    for cached in (recognizers.given_names, recognizers.surnames, maskers._lexicons):
        cached.cache_clear()


def test_the_engine_keeps_lexicons_only_where_it_keeps_results(tmp_path, cli, monkeypatch):
    from aiart_release.default_plugins.personal_data import recognizers

    _forget_lexicons()
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    assert cli("assess", EXAMPLES / "portrait-sessions", "-f", "json").code in (0, 1)
    assert sorted(p.name.split("-")[1] for p in (tmp_path / "cache" / "derived").iterdir()
                  if p.name.startswith("faker-")) == ["first_names", "last_names"]
    # --no-cache: the lexicons are built (in memory only) and nothing is kept.
    _forget_lexicons()
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "other"))
    report = cli("assess", EXAMPLES / "portrait-sessions", "-f", "json", "--no-cache").json()
    assert "pii.person-name" in {f["id"] for f in report["findings"]}
    assert recognizers.given_names.cache_info().currsize == 1
    assert not (tmp_path / "other").exists()


def test_the_lexicons_live_beside_the_database_and_cache_clear_removes_both(tmp_path,
                                                                          monkeypatch):
    """Kept out of the database: they are not bundle data, must not be
    evicted by a large bundle's results, and are read by every worker."""
    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    cache.derived("faker-first_names", "faker 1", lambda: ["ana", "kofi"])
    store = cache.ResultCache(tmp_path)
    store.put(store.key(check_id="c", check_version="1", settings="s", path="p",
                        content="0" * 64), [], 0.1)
    store.save()
    assert b"kofi" not in (tmp_path / cache.DB_NAME).read_bytes()
    (tmp_path / "derived" / "notes.txt").write_text("not ours\n")
    cache.clear(tmp_path)
    assert not (tmp_path / cache.DB_NAME).exists()
    assert [p.name for p in (tmp_path / "derived").iterdir()] == ["notes.txt"]


def test_derived_lists_round_trip_through_their_file(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    for value in ([], [""], ["", ""], ["ana"], ["a b", "ç", "x\ty"], ["two\nlines", "x"],
                  ["cr\rinside"]):
        cache.derived(f"v{len(value)}", repr(value), lambda v=value: list(v))
        assert cache.derived(f"v{len(value)}", repr(value), lambda: ["rebuilt"]) == value


def test_a_derived_file_cut_short_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    cache.derived("names", "k", lambda: ["ana", "kofi", "mei"])
    (stored,) = (tmp_path / "derived").iterdir()
    text = stored.read_text()
    for spoiled in (text.rsplit("\n", 1)[0], text.replace(" 3\n", " x\n"), text + "\nextra"):
        stored.write_text(spoiled)
        assert cache.derived("names", "k", lambda: ["rebuilt"]) == ["rebuilt"]


def test_a_derived_lexicon_is_searched_in_its_file_then_loaded_when_asked_often(tmp_path,
                                                                                monkeypatch):
    import random

    from aiart_release import lexicon

    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    rnd = random.Random(7)
    words = {"".join(rnd.choice("abcdeéñ-' ") for _ in range(rnd.randint(1, 9)))
             for _ in range(3000)}
    built = cache.derived_lexicon("names-test", "k", lambda: words)
    assert built == words  # the first run: built, and written sorted
    stored = cache.derived_lexicon("names-test", "k", lambda: pytest.fail("built again"))
    assert isinstance(stored, lexicon.SortedLexicon) and len(stored) == len(words)
    probes = [*rnd.sample(sorted(words), 100),
              *("".join(rnd.choice("abcdeéñ-' ") for _ in range(5)) for _ in range(100))]
    assert [p in stored for p in probes[:lexicon.PROMOTE_AFTER]] == [
        p in words for p in probes[:lexicon.PROMOTE_AFTER]]
    assert stored._set is None  # answered from the file's bytes
    for _ in range(lexicon.PROMOTE_AFTER):
        "x" in stored  # noqa: B015 - asked often: the set is loaded
    assert stored._set == words and all((p in stored) == (p in words) for p in probes)
    assert set(stored - {"x"}) == words - {"x"} and 42 not in stored


def test_a_damaged_lexicon_file_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_derived_root", tmp_path)
    cache.derived_lexicon("names-test", "k", lambda: {"ana", "kofi", "mei"})
    (stored,) = (tmp_path / "derived").iterdir()
    good = stored.read_bytes()
    for damage in (good[:-2], good.replace(b"kofi", b"kofx"), good.replace(b" 3 ", b" 4 "),
                   b"", b"\x00" * 40, good.split(b"\n", 1)[1]):
        stored.write_bytes(damage)
        assert cache.derived_lexicon("names-test", "k", lambda: {"rebuilt"}) == {"rebuilt"}
        stored.write_bytes(good)
