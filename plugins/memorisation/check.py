"""Memorisation and near-copies: does the model hand its training data back?

Field guide, dataset checkpoint: "how diverse is the dataset?", and the
warning that a model can reproduce its training data, private photos and
other artists' works included. Three comparisons, all on what the bundle
already holds (nothing is generated or run here):

- every sample output image (a file under ``samples/``, ``outputs/``,
  ``generations/``, ``generated/``) against every training image, by
  64-bit perceptual hash (``hashing``) and a vectorised nearest search
  (``search``): ``model.near-copy`` names the sample, the training file
  and how many bits apart they are;
- the training images among themselves: ``image.near-duplicates``, one
  finding with the count and the largest clusters (near-duplicates are
  seen more often in training, and memorised first);
- every sample text against the dataset's text (caption files, corpus
  files, text cells of tables): ``model.text-overlap`` when a sample repeats
  a long run of training words (``text_overlap``).

Settings (``checks: {memorisation: {...}}`` in aiart-release.yaml), with
the measurements behind their defaults in docs/model-files.md:
``near_copy_distance`` (8 bits of 64), ``duplicate_distance`` (6),
``max_images`` (4,000 training images), ``max_samples`` (1,000),
``min_run_words`` (50), ``min_share`` (0.5).

Images are decoded bounded (``hashing.open_reduced``); one that cannot be
decoded is ``bundle.unreadable``, which the pipeline keeps once when the
media check reports the same file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from aiart_release.checks import Check, number_setting
from aiart_release.doc_media import in_sample_folder
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural
from aiart_release.masking import redact

DUPLICATE_DISTANCE = 6
# Images hashed at most, spread over each set. Hashing decodes every image:
# about 50 512-pixel PNGs a second on a busy 2-core machine (300 JPEGs,
# decoded at a reduced scale), so 5,000 fit the default time budget of a
# bundle check (limits.seconds_per_file, 120 s); more are reported as
# model.memorisation-partial.
MAX_IMAGES = 4_000
MAX_SAMPLES = 1_000
MIN_RUN_WORDS = 50
MIN_SHARE = 0.5
MIN_GRAMS = 20  # a sample this short says too little for a share
MAX_TEXT_BYTES = 8 * 1024 * 1024  # read of each text file
_SHOWN_CLUSTERS = 3
_SHOWN_PATHS = 3
_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp",
                             ".heic", ".heif"})  # what the core's media reader reads
_TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl", ".json", ".parquet"})


class Memorisation(Check):
    id = "memorisation"
    # Hashes images by path (Path(...) copies nothing on its own): declared.
    bundle_reads = frozenset({"image", "text", "table"})
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.MODEL_CODE
    covers = frozenset({Checkpoint.MODEL_CODE, Checkpoint.DATASET})
    description = ("Sample outputs that are near-copies of training images, near-duplicate "
                   "training images, generated text copied from the training text")
    version = "1"
    findings = {
        "model.near-copy": "A sample output image is a near-copy of a training image "
                           "(perceptual hashes a few bits apart)",
        "image.near-duplicates": "Training images that are near-duplicates of each other "
                                   "(how many, the largest clusters)",
        "model.text-overlap": "A generated text sample repeats a long run of the training "
                              "text, or most of its 8-word sequences",
        "model.memorisation-partial": "Only max_images training images or max_samples "
                                      "samples were compared (spread over each set), or "
                                      "only the first 5 million words of training text",
        "bundle.unreadable": "A sample or training image whose pixels could not be decoded",
    }
    provides = {
        "near_copies": Fact(int, "how many sample output images are near-copies of a "
                                 "training image"),
        "near_duplicate_images": Fact(int, "how many training images have a near-duplicate "
                                           "in the training set"),
        "text_overlaps": Fact(int, "how many generated text samples repeat a long run of the "
                                   "training text"),
    }

    def scan_bundle(self, ctx):
        files = [f for f in ctx.inventory.files if f.readable and f.context is None]
        samples = [f for f in files if _is_sample(f)]
        training = [f for f in files if f.artifact == "dataset" and not _is_sample(f)]
        if not _images(training) and not _texts(samples):
            # Nothing to compare (a caption alone, as the pre-commit hook
            # stages): neither comparison finds anything, and the settings'
            # defaults (hamming) are not imported.
            return []
        settings = _Settings(ctx.settings)
        found: list[Finding] = []
        found.extend(_image_findings(_images(samples), _images(training), settings))
        found.extend(_text_findings(_texts(samples), training, settings))
        return found

    def facts(self, findings):
        ours = [f for f in findings if f.check in ("", self.id)]
        # A finding stands for every sample that copies the same training
        # item: the others are in ``also``.
        return {
            "near_copies": sum(1 + len(f.also) for f in ours if f.id == "model.near-copy"),
            "near_duplicate_images": sum(f.count or 0 for f in ours
                                         if f.id == "image.near-duplicates"),
            "text_overlaps": sum(1 + len(f.also) for f in ours
                                 if f.id == "model.text-overlap"),
        }


class _Settings:
    """The check's settings, each a number in its range or its default."""

    def __init__(self, raw: Mapping[str, Any]):
        # Imported when there is something to compare (scan_bundle).
        from aiart_release.hamming import NEAR_COPY_DISTANCE

        self.near_copy = number_setting(raw, "near_copy_distance", NEAR_COPY_DISTANCE, 0, 32)
        self.duplicate = number_setting(raw, "duplicate_distance", DUPLICATE_DISTANCE, 0, 32)
        self.max_images = number_setting(raw, "max_images", MAX_IMAGES, 1, 10_000_000)
        self.max_samples = number_setting(raw, "max_samples", MAX_SAMPLES, 1, 10_000_000)
        self.min_run = number_setting(raw, "min_run_words", MIN_RUN_WORDS, 8, 1_000_000)
        self.min_share = number_setting(raw, "min_share", MIN_SHARE, 0.0, 1.0)


def _is_sample(file) -> bool:
    """A file in a folder of generated samples or outputs (not one the
    dataset declares its own)."""
    return file.artifact != "dataset" and in_sample_folder(file.path)


def _images(files) -> list:
    return [f for f in files if f.kind == "image" and f.suffix in _IMAGE_SUFFIXES]


def _texts(files) -> list:
    return [f for f in files if f.kind in ("text", "table")
            and f.suffix in _TEXT_SUFFIXES | _TABLE_SUFFIXES]


# --- images -----------------------------------------------------------------------


def _image_findings(samples: list, training: list, settings: _Settings) -> Iterator[Finding]:
    if not training:
        return
    # numpy and the image decoder: only for a bundle with training images.
    from aiart_release.hamming import clusters, nearest
    from aiart_release.readers.image_hash import hash_files

    if len(training) > settings.max_images or len(samples) > settings.max_samples:
        yield _partial(len(training), len(samples), settings)
    training = _spread(training, settings.max_images)
    samples = _spread(samples, settings.max_samples)
    by_path = {f.abspath: f for f in [*training, *samples]}
    trained = hash_files([f.abspath for f in training])
    made = hash_files([f.abspath for f in samples])
    for path, reason in [*trained.problems, *made.problems]:
        yield _undecodable(by_path[path], reason)
    for match in nearest(made.hashes, trained.hashes, settings.near_copy):
        yield _near_copy(by_path[made.paths[match.query]],
                         by_path[trained.paths[match.index]], match.distance, settings)
    groups = clusters(trained.hashes, settings.duplicate)
    if groups:
        yield _duplicates([[by_path[trained.paths[i]] for i in g] for g in groups],
                          len(trained.paths), settings)


def _spread(files: list, limit: int) -> list:
    """At most ``limit`` of ``files``, spread evenly over them (every folder
    of a large dataset is represented, not the first ones only)."""
    if len(files) <= limit:
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def _partial(training: int, samples: int, settings: _Settings) -> Finding:
    return Finding(
        id="model.memorisation-partial", severity=Severity.INFO,
        message=(f"Near-copies were searched among {min(training, settings.max_images):,} of "
                 f"{plural(training, 'training image')} and "
                 f"{min(samples, settings.max_samples):,} of {plural(samples, 'sample output')},"
                 f" spread over each set (max_images {settings.max_images:,}, max_samples "
                 f"{settings.max_samples:,}): copies among the others may be missed"),
        location=Location(path="."), artifact="model", checkpoint=Checkpoint.MODEL_CODE,
        remediation=("Raise `checks: {memorisation: {max_images: N, max_samples: N}}` in "
                     "aiart-release.yaml to compare them all, and `limits.seconds_per_file` "
                     "with them: hashing decodes every image (about 50 PNGs or 300 JPEGs of "
                     "512 pixels a second)"))


def _text_partial(read: int) -> Finding:
    return Finding(
        id="model.memorisation-partial", severity=Severity.INFO,
        message=(f"Generated text was compared with the first {read:,} words of the training "
                 "text only: passages copied from the rest may be missed"),
        location=Location(path="."), artifact="model", checkpoint=Checkpoint.MODEL_CODE,
        remediation=("Compare the samples with the whole training text with a tool made for "
                     "large corpora (a suffix array, such as the one of Lee et al.'s "
                     "deduplicate-text-datasets)"))


def _near_copy(sample, source, distance: int, settings: _Settings) -> Finding:
    return Finding(
        id="model.near-copy", severity=Severity.HIGH,
        message=(f"Sample output is a near-copy of the training image {source.path} "
                 f"({distance} of 64 bits of their perceptual hashes differ; "
                 f"{settings.near_copy} or fewer is a near-copy): the model may have memorised "
                 "it, and hands back someone's work or photo almost as it was"),
        location=Location(path=sample.path), evidence=f"{source.path} (distance {distance})",
        matched=source.path, artifact="model", checkpoint=Checkpoint.MODEL_CODE,
        remediation=("Compare the two images. If the sample copies the training image, do "
                     "not publish the sample; remove or deduplicate that image (and its "
                     "near-duplicates) in the training set and retrain or fine-tune for fewer "
                     "steps; keep the model gated until its samples stop reproducing training "
                     "images, and credit or ask the image's author"),
        references=("https://partnershiponai.org/resource/making-ai-art-responsibly-a-field-"
                    "guide-for-artists/",))


def _duplicates(groups: list[list], total: int, settings: _Settings) -> Finding:
    images = sum(len(g) for g in groups)
    largest = groups[0]
    heavy = images * 10 >= total or len(largest) >= 10
    shown = "; ".join(
        f"{len(g)}: " + ", ".join(f.path for f in g[:_SHOWN_PATHS])
        + (" …" if len(g) > _SHOWN_PATHS else "") for g in groups[:_SHOWN_CLUSTERS])
    return Finding(
        id="image.near-duplicates", severity=Severity.MEDIUM if heavy else Severity.LOW,
        message=(f"{images} of {plural(total, 'training image')} fall into "
                 f"{plural(len(groups), 'near-duplicate cluster')} (perceptual hashes at most "
                 f"{settings.duplicate} of 64 bits apart; the largest holds {len(largest)}): "
                 "the field guide asks how diverse the dataset is, and images seen many times "
                 "in training are the first a model memorises"),
        location=Location(path=_common_folder([f.path for g in groups for f in g])),
        count=images, evidence=shown, matched=shown, artifact="dataset",
        checkpoint=Checkpoint.DATASET,
        remediation=("Deduplicate the training set: keep one image of each cluster (or the "
                     "few that differ on purpose), or weight them down in training; say in the "
                     "dataset card how you deduplicated"))


def _common_folder(paths: list[str]) -> str:
    parts = [PurePosixPath(p).parts[:-1] for p in paths]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return "/".join(common) or "."


def _undecodable(file, reason: str) -> Finding:
    # Same id, path and (no) value as the media check's finding for the same
    # file: the pipeline keeps one of them.
    return Finding(
        id="bundle.unreadable", severity=Severity.MEDIUM,
        message=f"Image could not be read: {reason}", location=Location(path=file.path),
        artifact=file.artifact,
        remediation="Re-export the image from its source (or restore it), give it the "
                    "extension of its format, or exclude it in aiart-release.yaml")


# --- text --------------------------------------------------------------------------


def _text_findings(samples: list, training: list, settings: _Settings) -> Iterator[Finding]:
    if not samples:
        return
    from .text_overlap import N, TrainingText  # numpy: only for generated text samples

    corpus = TrainingText()
    for file in _texts(training):
        corpus.add_all(_segments(file))
    if not corpus.words:
        return
    if corpus.full:
        yield _text_partial(corpus.max_words)
    for file in samples:
        overlap = corpus.overlap("\n".join(_segments(file)))
        if overlap.longest >= settings.min_run or (
                overlap.grams >= MIN_GRAMS and overlap.share >= settings.min_share):
            yield _text_overlap(file, overlap, N, settings,
                                corpus.max_words if corpus.full else None)


def _segments(file) -> Iterator[str]:
    """The texts of a file: the whole of a text file, each text cell of a
    table. Unreadable files give nothing: the text checks report them."""
    from aiart_release.readers.tables import TableError, iter_rows
    from aiart_release.readers.text import TextUnreadable, read_text

    if file.kind == "text":
        try:
            yield read_text(file.abspath, MAX_TEXT_BYTES)[0]
        except TextUnreadable:
            return
        return
    try:
        for _row, _line, cells in iter_rows(file.abspath):
            yield from cells.values()
    except (TableError, OSError):
        return


def _text_overlap(file, overlap, n: int, settings: _Settings, cut_at: int | None) -> Finding:
    verbatim = overlap.longest >= settings.min_run
    return Finding(
        id="model.text-overlap", severity=Severity.HIGH if verbatim else Severity.MEDIUM,
        message=(f"Generated text repeats the training text: its longest run found there is "
                 f"{plural(overlap.longest, 'word')}, and {overlap.share:.0%} of its "
                 f"{n}-word sequences appear in it"
                 + (f" (the training text was read up to its first {cut_at:,} words)"
                    if cut_at else "")
                 + ": the model may have memorised it, personal data and others' writing "
                   "included"),
        location=Location(path=file.path), evidence=redact(overlap.passage()),
        matched=overlap.passage(), artifact="model", checkpoint=Checkpoint.MODEL_CODE,
        remediation=("Do not publish samples that copy the training text; deduplicate the "
                     "training text, remove what its authors did not agree to, and retrain "
                     "or fine-tune for fewer steps; keep the model gated until its samples "
                     "stop repeating it"))
