"""Freshly generated samples: does the released model hand back its
training images when it is run?

Field guide, model checkpoint: "is the training data diverse enough that
the model doesn't produce near-copies?", and the warning that private
training data can be reconstructed from a model. The memorisation check
compares the sample files a bundle holds; this one makes new samples with
the generator the bundle declares::

    # aiart-release.yaml
    model:
      generator: "sample:generate"        # module:function, inside the bundle
      weights: "model/weights.safetensors"
      samples: 256                         # default
      batch_size: 32                       # default
      seed: 0                              # default

and compares each with every training image (the dataset's images) by
64-bit perceptual hash, as the memorisation check does:
``model.near-copy`` names the generated sample, the training file and how
many bits apart they are.

The generator is the bundle's own code. It is imported and run only when
the user passes ``--trust-bundle-code``, and then only in a child process
(:mod:`.runner`) with a time limit, on the device ``--device`` resolves to
(this is an accelerator check). Otherwise, or without torch, one
``model.check-skipped`` says why and how to enable it. A generator that
raises, hangs or returns something that is not images is
``model.generation-failed``: the bundle's defect, not ours, so ``--strict``
does not exit 3 on it.

Settings (``checks: {generation: {...}}``): ``time_limit`` (seconds for the
whole check, default 300; the engine's), ``near_copy_distance`` (8 bits of
64, the memorisation check's default), ``max_images`` (training images
compared, 4,000, spread evenly over the dataset; more is
``model.memorisation-partial``).
"""

from __future__ import annotations

import importlib.util
import os
import stat
import time
from collections import defaultdict
from pathlib import Path

from aiart_release.checks import Check, number_setting
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural

# Training images hashed, spread over the dataset: the memorisation check's
# default (about 50 PNGs of 512 pixels a second on a busy 2-core machine,
# so 4,000 leave most of the time limit to the generator); more are
# reported as model.memorisation-partial.
MAX_IMAGES = 4_000
DEFAULT_SECONDS = 300.0
_SHOWN_SAMPLES = 5
_GUIDE = ("https://partnershiponai.org/resource/making-ai-art-responsibly-a-field-guide-for-"
          "artists/",)


class Generation(Check):
    id = "generation"
    checkpoint = Checkpoint.MODEL_CODE
    covers = frozenset({Checkpoint.MODEL_CODE})
    description = ("Samples made by the bundle's declared generator (only with "
                   "--trust-bundle-code, in a child process) compared with the training images")
    device = "accelerator"
    # Nothing unless a trusted generator runs; then the whole bundle is
    # copied first (below): its child process reads files by path.
    bundle_reads = frozenset()
    version = "1"
    findings = {
        "model.near-copy": "A sample the bundle's generator made is a near-copy of a training "
                           "image (perceptual hashes a few bits apart)",
        "model.generation-failed": "The declared generator raised, ran past its time limit or "
                                   "returned something that is not images",
        "model.check-skipped": "A generator is declared but was not run: no "
                               "--trust-bundle-code, no torch, or no training images",
        "model.memorisation-partial": "The generated samples were compared with max_images "
                                      "training images only, spread over the dataset",
    }

    def scan_bundle(self, ctx):
        model = ctx.model
        if model is None:
            return []
        started = time.monotonic()
        root = Path(ctx.inventory.root)
        why_not = _why_not_run(ctx)
        if why_not is not None:
            return [why_not]
        # A bundle at a URL or a staged view: the generator's code, its
        # weights and the training images on disk before anything reads them.
        ctx.inventory.materialize(ctx.inventory.files)
        problem = _weights_problem(root, model.weights)
        if problem is not None:
            return [_failed(model.generator, problem)]
        training = _training_images(ctx.inventory)
        if not training:
            return [_skipped("the dataset holds no training images to compare its samples "
                             "with", "Add the training images to the bundle's dataset "
                             "folder (or declare them with artifacts: dataset:)")]
        device = ctx.device  # resolved here: may import torch, or skip the check
        limit = number_setting(ctx.settings, "max_images", MAX_IMAGES, 1, 10_000_000)
        found = _compare(ctx, root, _spread(training, limit), device, started)
        if len(training) > limit:
            found.append(_partial(len(training), limit))
        return found


def _compare(ctx, root: Path, training: list, device: str, started: float) -> list[Finding]:
    from aiart_release.hamming import NEAR_COPY_DISTANCE  # numpy: only when run

    from .compare import hash_files, nearest
    from .runner import run_generator

    model = ctx.model
    hashed = hash_files([f.abspath for f in training])
    left = (ctx.time_limit or DEFAULT_SECONDS) - (time.monotonic() - started)
    outcome = run_generator(root, model, device, left)
    if outcome.error is not None:
        return [_failed(model.generator, outcome.error)]
    by_path = {f.abspath: f for f in training}
    distance = number_setting(ctx.settings, "near_copy_distance", NEAR_COPY_DISTANCE, 0, 32)
    copies: dict[int, list[tuple[int, int]]] = defaultdict(list)  # training -> samples
    for match in nearest(outcome.hashes, hashed.hashes, distance):
        copies[match.index].append((match.query, match.distance))
    return [_near_copy(by_path[hashed.paths[index]], samples, model, distance)
            for index, samples in sorted(copies.items(),
                                         key=lambda item: by_path[hashed.paths[item[0]]].path)]


def _why_not_run(ctx) -> Finding | None:
    generator = ctx.model.generator
    if not ctx.trust_bundle_code:
        return _skipped(
            f"the bundle declares the generator {generator}, but running the bundle's code "
            "needs --trust-bundle-code; its samples were not generated",
            "Assess again with --trust-bundle-code to generate samples and compare them with "
            "the training images, only if you trust the bundle's code (it runs in a child "
            "process with a time limit)")
    if importlib.util.find_spec("torch") is None:
        return _skipped(
            f"the bundle declares the generator {generator}, but torch is not installed",
            "Install the model extra: pip install 'aiart-release[model]' (pip install "
            "torch==2.13.0 gets a CPU build)")
    return None


def _weights_problem(root: Path, weights: str) -> str | None:
    """Why the declared weights cannot be handed to the generator: they must
    be a regular safetensors file of the bundle with a valid header (a
    pickle is never loaded)."""
    # The safetensors reader: only when a declared generator is run.
    from aiart_release.readers.safetensors import SafetensorsError, read_header

    path = root / weights
    if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root)):
        return f"the weights {weights} leave the bundle"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return f"the weights {weights} are not a file"
        read_header(path)
    except FileNotFoundError:
        return f"the weights {weights} are not in the bundle"
    except OSError as exc:
        return f"the weights {weights} cannot be read ({exc.strerror or type(exc).__name__})"
    except SafetensorsError as exc:
        return f"the weights {weights} are {exc}"
    return None


def _training_images(inventory) -> list:
    return [f for f in inventory.files if f.kind == "image" and f.artifact == "dataset"
            and f.readable and f.context is None]


def _spread(files: list, limit: int) -> list:
    """At most ``limit`` of ``files``, spread evenly over them (every folder
    of a large dataset is represented, not the first ones only)."""
    if len(files) <= limit:
        return files
    return [files[i * len(files) // limit] for i in range(limit)]


def _near_copy(source, samples: list[tuple[int, int]], model, distance: int) -> Finding:
    numbers = [number for number, _ in samples]
    closest = min(d for _, d in samples)
    shown = ", ".join(str(n) for n in numbers[:_SHOWN_SAMPLES]) + (
        f" and {len(numbers) - _SHOWN_SAMPLES} more" if len(numbers) > _SHOWN_SAMPLES else "")
    which = (f"Generated sample {shown}" if len(numbers) == 1
             else f"{len(numbers)} generated samples ({shown})")
    return Finding(
        id="model.near-copy", severity=Severity.HIGH,
        message=(f"{which} of {model.samples} made by {model.generator} (seed {model.seed}) "
                 f"{'is a near-copy' if len(numbers) == 1 else 'are near-copies'} of the "
                 f"training image {source.path} ({closest} of 64 bits of their perceptual "
                 f"hashes differ; {distance} or fewer is a near-copy): the model has memorised "
                 "it, and hands back someone's work or photo almost as it was"),
        location=Location(path=source.path),
        evidence=f"{source.path} (distance {closest})",
        matched=f"generated:{source.path}", artifact="model", checkpoint=Checkpoint.MODEL_CODE,
        remediation=("Generate those samples again (same seed) and compare them with the "
                     "training image. Remove or deduplicate that image (and its "
                     "near-duplicates) in the training set and retrain or fine-tune for fewer "
                     "steps; keep the model gated until its samples stop reproducing training "
                     "images, and credit or ask the image's author"),
        references=_GUIDE)


def _failed(generator: str, why: str) -> Finding:
    return _about_the_model(
        "model.generation-failed", Severity.MEDIUM,
        f"The declared generator {generator} could not make samples: {why}; whether the "
        "model reproduces its training images is unknown",
        "Run the generator yourself with the declared weights and fix what fails; for a slow "
        "model raise checks.generation.time_limit (default 300 s) or lower model.samples")


def _partial(training: int, limit: int) -> Finding:
    return _about_the_model(
        "model.memorisation-partial", Severity.INFO,
        f"Generated samples were compared with {limit:,} of {plural(training, 'training image')}"
        f", spread over the dataset (max_images {limit:,}): copies of the others may be missed",
        "Raise `checks: {generation: {max_images: N, time_limit: S}}` in aiart-release.yaml to "
        "compare them all: hashing decodes every image (about 50 PNGs of 512 pixels a second)")


def _skipped(why: str, how: str) -> Finding:
    return _about_the_model("model.check-skipped", Severity.INFO,
                            f"Generated samples not compared with the training images: {why}",
                            how)


def _about_the_model(finding_id: str, severity: Severity, message: str,
                     remediation: str) -> Finding:
    """A finding about the declared model as a whole (no one file)."""
    return Finding(id=finding_id, severity=severity, message=message,
                   location=Location(path="."), artifact="model",
                   checkpoint=Checkpoint.MODEL_CODE, remediation=remediation)
