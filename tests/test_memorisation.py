"""Memorisation and near-copies (plugins/memorisation): perceptual hashes
equal to imagehash's, a Hamming search equal to brute force, near-copies of
training images found among a bundle's samples through the CLI (and
unrelated samples not), near-duplicate clusters in the dataset, generated
text that repeats the training text, and undecodable images reported once."""

from __future__ import annotations

import io
import random
from importlib import metadata

import numpy as np
import pytest
from conftest import SAFETENSORS
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageEnhance

from aiart_release import hamming as search
from aiart_release.default_plugins.memorisation.text_overlap import TrainingText
from aiart_release.hamming import NEAR_COPY_DISTANCE
from aiart_release.readers import image_hash as hashing

PLUGIN = "aiart_release.default_plugins.memorisation"

# Training photos, and photos no training image resembles (measured: every
# pair of scikit-image's photos is 20 or more bits apart).
TRAINING = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins",
            "hubble_deep_field", "immunohistochemistry")
UNRELATED = ("moon", "horse", "clock")


def skimage_data():
    return pytest.importorskip("skimage.data")


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skimage_data(), name)()).convert("RGB")


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def half(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)


def crop(image: Image.Image, fraction: float) -> Image.Image:
    dx, dy = int(image.width * fraction), int(image.height * fraction)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def colour_shift(image: Image.Image) -> Image.Image:
    red, green, blue = image.split()
    return Image.merge("RGB", (red.point(lambda v: min(255, v + 20)), green,
                               blue.point(lambda v: max(0, v - 20))))


@pytest.fixture
def memorisation():
    """The plugin is built in: registered by its entry point, as users get it."""
    assert any(ep.value == PLUGIN for ep in metadata.entry_points(group="aiart_release"))


# --- hashes -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut", "camera", "logo", "microaneurysms", "page"])
def test_the_hash_is_imagehash_phash_bit_for_bit(name):
    imagehash = pytest.importorskip("imagehash")
    image = Image.fromarray(getattr(skimage_data(), name)())
    assert hashing.hash_image(image) == int(str(imagehash.phash(image)), 16)


@pytest.mark.parametrize("transform", [
    lambda im: half(im), lambda im: jpeg(im, 30), lambda im: jpeg(half(im), 70),
    lambda im: ImageEnhance.Color(im).enhance(1.4), colour_shift,
], ids=["resized", "jpeg-q30", "resized-jpeg", "saturated", "colour-shifted"])
def test_copies_stay_within_the_near_copy_distance(transform):
    for name in TRAINING:
        original = photo(name)
        assert hashing.distance(hashing.hash_image(original),
                                hashing.hash_image(transform(original))) <= NEAR_COPY_DISTANCE


def test_unrelated_photos_stay_far_apart():
    hashes = [hashing.hash_image(photo(name)) for name in TRAINING + UNRELATED]
    closest = min(hashing.distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:])
    assert closest > 2 * NEAR_COPY_DISTANCE


def test_hash_files_reports_what_it_cannot_decode(tmp_path):
    good = tmp_path / "good.jpg"
    photo("coffee").save(good, quality=90)
    truncated = tmp_path / "truncated.png"
    photo("rocket").save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:4000])
    cut_jpeg = tmp_path / "cut.jpg"
    cut_jpeg.write_bytes(good.read_bytes()[:3000])
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("not a picture", encoding="utf-8")
    # 100 megapixels of one bit: a small file, over the decoding cap; and
    # 225 megapixels, over Pillow's own decompression-bomb limit.
    over_cap = tmp_path / "big.png"
    Image.new("1", (10_000, 10_000)).save(over_cap)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (15_000, 15_000)).save(bomb)
    paths = [good, truncated, cut_jpeg, not_an_image, over_cap, bomb]

    result = hashing.hash_files(paths)

    assert result.paths == [good]
    assert result.hashes.dtype == np.uint64 and len(result.hashes) == 1
    assert hashing.distance(int(result.hashes[0]), hashing.hash_image(photo("coffee"))) <= 2
    reasons = dict(result.problems)
    assert sorted(reasons) == sorted(paths[1:])
    assert "truncated" in reasons[truncated] or "broken" in reasons[truncated]
    assert "not an image format" in reasons[not_an_image]
    assert "more than the" in reasons[over_cap]
    assert "decompression bomb" in reasons[bomb]


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path):
    path = tmp_path / "large.jpg"
    photo("astronaut").resize((6000, 6000)).save(path, quality=85)
    grey = hashing.open_reduced(path)
    assert grey.mode == "L" and max(grey.size) < 1000  # DCT scaling: 1/8 of 6000


# --- search -------------------------------------------------------------------------


def brute_nearest(queries, index, max_distance):
    out = []
    for q, query in enumerate(queries):
        distances = [(int(query) ^ int(entry)).bit_count() for entry in index]
        if distances and min(distances) <= max_distance:
            best = min(distances)
            out.append(search.Match(q, distances.index(best), best))
    return out


def brute_clusters(hashes, max_distance):
    groups = {i: {i} for i in range(len(hashes))}
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if (int(hashes[i]) ^ int(hashes[j])).bit_count() <= max_distance and \
                    groups[i] is not groups[j]:
                merged = groups[i] | groups[j]
                for k in merged:
                    groups[k] = merged
    unique = {id(g): sorted(g) for g in groups.values() if len(g) > 1}
    return sorted(unique.values(), key=lambda g: (-len(g), g[0]))


def related_hashes(draw_seed: int, count: int) -> np.ndarray:
    """Random hashes, some of them a few bits from others (so that matches,
    ties and chains happen), some repeated."""
    rng = random.Random(draw_seed)
    out: list[int] = []
    for _ in range(count):
        if out and rng.random() < 0.6:
            value = rng.choice(out)
            for _ in range(rng.randint(0, 6)):
                value ^= 1 << rng.randrange(64)
        else:
            value = rng.getrandbits(64)
        out.append(value)
    return np.array(out, dtype=np.uint64)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), queries=st.integers(0, 40), entries=st.integers(0, 60),
       max_distance=st.integers(0, 64), block=st.sampled_from([1, 7, 64, 1 << 22]))
def test_nearest_is_brute_force(seed, queries, entries, max_distance, block):
    pool = related_hashes(seed, queries + entries)
    query_hashes, index = pool[:queries], pool[queries:]
    original = search.BLOCK_CELLS
    search.BLOCK_CELLS = block  # small blocks: ties and bests across block edges
    try:
        assert search.nearest(query_hashes, index, max_distance) == \
            brute_nearest(query_hashes, index, max_distance)
    finally:
        search.BLOCK_CELLS = original


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), count=st.integers(0, 70), max_distance=st.integers(0, 20),
       block=st.sampled_from([1, 5, 64, 1 << 22]))
def test_clusters_are_brute_force_components(seed, count, max_distance, block):
    hashes = related_hashes(seed, count)
    original = search.BLOCK_CELLS
    search.BLOCK_CELLS = block
    try:
        assert search.clusters(hashes, max_distance) == brute_clusters(hashes, max_distance)
    finally:
        search.BLOCK_CELLS = original


def test_the_byte_table_counts_bits_as_numpy_does():
    values = related_hashes(7, 500)
    table = search._byte_counts()[values.view(np.uint8).reshape(-1, 8)].sum(axis=1)
    assert table.tolist() == [int(v).bit_count() for v in values]
    assert search.popcount(values).tolist() == table.tolist()


def test_a_set_of_frames_each_near_many_others_is_clustered_without_pairs_in_python():
    # 3,000 "video frames": each a bit or two from the one before (a chain
    # of thousands of near pairs), one cluster.
    rng = random.Random(3)
    value, frames = rng.getrandbits(64), []
    for _ in range(3000):
        value ^= 1 << rng.randrange(64)
        frames.append(value)
    assert search.clusters(np.array(frames, dtype=np.uint64), 2) == [list(range(3000))]


# --- text ---------------------------------------------------------------------------


def words(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8)))
            for _ in range(count)]


def test_the_longest_shared_run_and_share_are_measured():
    corpus = words(1, 400)
    training = TrainingText()
    training.add(" ".join(corpus))
    sample = words(2, 30) + corpus[100:160] + words(3, 30)
    overlap = training.overlap(" ".join(sample))
    assert overlap.longest == 60
    assert overlap.grams == len(sample) - 7
    assert overlap.share == pytest.approx(53 / overlap.grams)
    assert overlap.passage(limit=3) == " ".join(corpus[100:103]) + " …"
    unrelated = training.overlap(" ".join(words(4, 200)))
    assert (unrelated.longest, unrelated.share) == (0, 0.0)


def test_ngrams_do_not_span_two_training_segments():
    corpus = words(5, 20)
    training = TrainingText()
    training.add(" ".join(corpus[:10]))
    training.add(" ".join(corpus[10:]))
    assert training.overlap(" ".join(corpus[6:14])).longest == 0
    assert training.overlap(" ".join(corpus[:8])).longest == 8


def test_training_text_is_read_up_to_its_limit():
    corpus = words(6, 300)
    training = TrainingText(max_words=100)
    training.add_all([" ".join(corpus[:60]), " ".join(corpus[60:200]), " ".join(corpus[200:])])
    assert (training.words, training.full) == (100, True)
    # The second segment is read up to its 40th word (60 + 40 = 100).
    assert training.overlap(" ".join(corpus[60:120])).longest == 40
    assert training.overlap(" ".join(corpus[100:150])).longest == 0


# --- through the CLI ------------------------------------------------------------------


def image_bundle(tmp_path):
    """Eight training photos (one also as a resized JPEG copy), samples:
    three copies of training photos, a cropped one, three unrelated
    photos, one truncated."""
    root = tmp_path / "bundle"
    (root / "data").mkdir(parents=True)
    (root / "samples").mkdir()
    (root / "model").mkdir()
    (root / "model" / "model.safetensors").write_bytes(SAFETENSORS)
    for name in TRAINING:
        photo(name).save(root / "data" / f"{name}.png")
    half(photo("astronaut")).save(root / "data" / "astronaut_copy.jpg", quality=80)
    jpeg(half(photo("coffee")), 70).save(root / "samples" / "copy_coffee.jpg", quality=70)
    colour_shift(photo("rocket")).save(root / "samples" / "copy_rocket.png")
    ImageEnhance.Color(photo("chelsea")).enhance(1.4).save(root / "samples" / "copy_cat.webp")
    # 5% cut from each side moves the hash 12 bits: past the default distance.
    crop(photo("coins"), 0.05).save(root / "samples" / "cropped_coins.png")
    for name in UNRELATED:
        photo(name).save(root / "samples" / f"new_{name}.png")
    broken = root / "samples" / "broken.png"
    photo("moon").save(broken)
    broken.write_bytes(broken.read_bytes()[:5000])
    return root


def findings_of(cli, root, *ids):
    report = cli("assess", root, "-f", "json").json()
    return [f for f in report["findings"] if f["id"] in ids]


def test_exactly_the_copied_samples_are_near_copies(cli, memorisation, tmp_path):
    root = image_bundle(tmp_path)
    found = findings_of(cli, root, "model.near-copy")
    pairs = sorted((f["location"]["path"], f["evidence"].split(" (")[0]) for f in found)
    assert pairs == [("samples/copy_cat.webp", "data/chelsea.png"),
                     ("samples/copy_coffee.jpg", "data/coffee.png"),
                     ("samples/copy_rocket.png", "data/rocket.png")]
    for f in found:
        assert f["severity"] == "high" and f["artifact"] == "model"
        assert "memorised" in f["message"] and "bits" in f["message"]


def test_near_duplicates_in_the_dataset_are_one_finding(cli, memorisation, tmp_path):
    root = image_bundle(tmp_path)
    [found] = findings_of(cli, root, "image.near-duplicates")
    assert found["count"] == 2 and found["artifact"] == "dataset"
    assert found["location"]["path"] == "data"
    assert found["evidence"] == "2: data/astronaut.png, data/astronaut_copy.jpg"
    assert "2 of 9 training images" in found["message"]


def test_a_truncated_sample_is_reported_once_and_the_scan_goes_on(cli, memorisation, tmp_path):
    root = image_bundle(tmp_path)
    report = cli("assess", root, "-f", "json").json()
    unreadable = [f for f in report["findings"] if f["id"] == "bundle.unreadable"]
    assert [f["location"]["path"] for f in unreadable] == ["samples/broken.png"]
    assert not [f for f in report["findings"] if f["id"].startswith("plugin.")]
    assert len([f for f in report["findings"] if f["id"] == "model.near-copy"]) == 3


def test_pixel_data_that_cannot_be_decoded_is_reported_by_this_check(cli, memorisation,
                                                                     tmp_path):
    # The metadata reader reads this PNG (its chunks are whole); only
    # decoding the pixels finds the compressed data corrupt.
    root = image_bundle(tmp_path)
    raw = bytearray((root / "samples" / "new_horse.png").read_bytes())
    start = raw.index(b"IDAT") + 40
    raw[start:start + 200] = bytes(200)
    (root / "samples" / "new_horse.png").write_bytes(bytes(raw))
    # The repeated-mark search decodes the same pixels and reports the same
    # finding (the pipeline keeps one): off here, so that this check's is seen.
    (root / "aiart-release.yaml").write_text("checks:\n  media-marks:\n    marks: false\n",
                                             encoding="utf-8")
    unreadable = findings_of(cli, root, "bundle.unreadable")
    horse = [f for f in unreadable if f["location"]["path"] == "samples/new_horse.png"]
    assert len(horse) == 1 and horse[0]["check"] == "memorisation"


def test_near_copy_distance_is_a_setting(cli, memorisation, tmp_path):
    root = image_bundle(tmp_path)
    config = root / "aiart-release.yaml"
    config.write_text("checks:\n  memorisation:\n    near_copy_distance: 14\n", encoding="utf-8")
    found = {f["location"]["path"]: f["evidence"]
             for f in findings_of(cli, root, "model.near-copy")}
    assert found.pop("samples/cropped_coins.png") == "data/coins.png (distance 12)"
    assert len(found) == 3
    config.write_text("checks:\n  memorisation:\n    near_copy_distance: lots\n",
                      encoding="utf-8")
    assert len(findings_of(cli, root, "model.near-copy")) == 3  # the default


def test_a_capped_comparison_says_so(cli, memorisation, tmp_path):
    root = image_bundle(tmp_path)
    (root / "aiart-release.yaml").write_text(
        "checks:\n  memorisation:\n    max_images: 3\n    max_samples: 2\n", encoding="utf-8")
    [partial] = findings_of(cli, root, "model.memorisation-partial")
    assert partial["severity"] == "info"
    assert "3 of 9 training images and 2 of 8 sample outputs" in partial["message"]


def test_generated_text_that_repeats_the_training_text(cli, memorisation, tmp_path):
    corpus = words(1, 2000)
    passage = corpus[500:570]
    email_at = 3
    passage[email_at] = "jane.doe@eastpost.net"
    corpus[500 + email_at] = "jane.doe@eastpost.net"
    root = tmp_path / "bundle"
    (root / "data").mkdir(parents=True)
    (root / "model").mkdir()
    (root / "samples").mkdir()
    (root / "model" / "model.safetensors").write_bytes(SAFETENSORS)
    (root / "data" / "corpus.txt").write_text(" ".join(corpus), encoding="utf-8")
    (root / "samples" / "copied.txt").write_text(
        " ".join(words(9, 40) + passage + words(10, 40)), encoding="utf-8")
    (root / "samples" / "short_echo.txt").write_text(
        " ".join(words(11, 40) + corpus[900:930] + words(12, 40)), encoding="utf-8")
    (root / "samples" / "original.txt").write_text(" ".join(words(13, 300)), encoding="utf-8")
    result = cli("assess", root, "-f", "json")
    found = [f for f in result.json()["findings"] if f["id"] == "model.text-overlap"]
    assert [f["location"]["path"] for f in found] == ["samples/copied.txt"]
    [copied] = found
    assert copied["severity"] == "high" and copied["artifact"] == "model"
    # "jane.doe@eastpost.net" is four words; the run is the 70 copied ones.
    assert "73 words" in copied["message"]
    assert "jane.doe@eastpost.net" not in result.out
    assert "@e" in copied["evidence"]


def test_training_text_in_table_cells_is_compared_cell_by_cell(cli, memorisation, tmp_path):
    corpus = words(21, 600)
    rows = [" ".join(corpus[i:i + 100]) for i in range(0, 600, 100)]
    root = tmp_path / "bundle"
    (root / "data").mkdir(parents=True)
    (root / "outputs").mkdir()
    (root / "model").mkdir()
    (root / "model" / "model.safetensors").write_bytes(SAFETENSORS)
    (root / "data" / "captions.csv").write_text(
        "id,caption\n" + "".join(f"{i},{row}\n" for i, row in enumerate(rows)), encoding="utf-8")
    # 60 words of one caption: a copy. 30 words either side of a cell's
    # edge: no cell holds the run, so the longest is 30 words (under 50),
    # but 46 of its 53 8-word sequences are found: reported on the share.
    (root / "outputs" / "copy.txt").write_text(" ".join(corpus[210:270]), encoding="utf-8")
    (root / "outputs" / "seam.txt").write_text(" ".join(corpus[170:230]), encoding="utf-8")
    (root / "outputs" / "new.txt").write_text(" ".join(words(22, 80)), encoding="utf-8")
    found = {f["location"]["path"]: f for f in findings_of(cli, root, "model.text-overlap")}
    assert sorted(found) == ["outputs/copy.txt", "outputs/seam.txt"]
    copy, seam = found["outputs/copy.txt"], found["outputs/seam.txt"]
    assert copy["severity"] == "high" and "60 words, and 100%" in copy["message"]
    assert seam["severity"] == "medium" and "30 words, and 87%" in seam["message"]


def test_a_cut_training_text_says_so(cli, memorisation, monkeypatch, tmp_path):
    from aiart_release.default_plugins.memorisation import text_overlap

    monkeypatch.setattr(text_overlap, "MAX_TRAINING_WORDS", 100)
    corpus = words(31, 300)
    root = tmp_path / "bundle"
    (root / "data").mkdir(parents=True)
    (root / "samples").mkdir()
    (root / "data" / "corpus.txt").write_text(" ".join(corpus), encoding="utf-8")
    (root / "samples" / "late.txt").write_text(" ".join(corpus[150:250]), encoding="utf-8")
    found = findings_of(cli, root, "model.memorisation-partial", "model.text-overlap")
    assert [f["id"] for f in found] == ["model.memorisation-partial"]
    assert "first 100 words of the training text" in found[0]["message"]


def test_facts_count_what_was_found(memorisation, tmp_path):
    from aiart_release.default_plugins.memorisation.check import Memorisation
    from aiart_release.findings import Finding, Location, Severity

    check = Memorisation()
    found = [Finding("model.near-copy", Severity.HIGH, "m", Location("s/a.png"),
                     also=("s/c.png",)),
             Finding("model.near-copy", Severity.HIGH, "m", Location("s/b.png")),
             Finding("image.near-duplicates", Severity.LOW, "m", Location("data"), count=5)]
    assert check.provided_facts(found) == {"near_copies": 3, "near_duplicate_images": 5,
                                           "text_overlaps": 0}


def test_nothing_is_compared_without_training_images(cli, memorisation, tmp_path):
    root = tmp_path / "bundle"
    (root / "samples").mkdir(parents=True)
    photo("coffee").save(root / "samples" / "a.png")
    photo("coffee").save(root / "samples" / "b.png")
    report = cli("assess", root, "-f", "json").json()
    ids = {f["id"] for f in report["findings"]}
    assert not ids & {"model.near-copy", "image.near-duplicates"}
    assert not [i for i in ids if i.startswith("plugin.")]
