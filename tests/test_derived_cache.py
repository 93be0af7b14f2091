"""Data built from installed packages (the name lexicons from Faker's
locales) is kept beside the result cache, so that a cached run's masking
gate reads one file instead of importing a hundred modules."""

from __future__ import annotations

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
