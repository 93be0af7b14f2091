"""Precision and recall of the face detectors on a labelled set built from
the photos scikit-image ships (``skimage.data``; nothing is downloaded).

    .venv/bin/python benchmarks/faces.py

The set, and how small it is:

- 23 whole photos of ``skimage.data``, each labelled by hand with its number
  of faces: ``astronaut`` (Eileen Collins, one frontal face), ``camera`` (a
  man in profile behind a camera: one face, not frontal) and 21 with no
  person (coffee, chelsea the cat, rocket, horse, motorcycle, coins, text,
  a page, the moon, textures, microscopy, a retina, the Hubble deep field).
- ``lfw_subset``: 100 faces cropped from Labeled Faces in the Wild and 100
  background crops of the same photos, 25×25 pixels each. Each is enlarged
  to 100×100 (a portrait) and set in a 160×160 grey frame, so that a
  detector sees a face with some margin around it; and again at 50×50 (a
  face in a group photo reduced to 640 pixels). The crops are tight: the
  detectors see little of the head around the face.

Real-world folders (``--count DIR...``): the faces each run counts in
every image under DIR, and the images where the runs disagree; nothing of
the pictures is printed or kept. This is how the animal veto was measured
on google/dreambooth's dataset of pets and on the real faces of other
repositories (docs/benchmarks.md), which are fetched, never committed.

A face counts as found when the detector finds one in an image that holds
one (per image: there are no boxes to match in these labels); a detection in
an image with no face is a false positive. Precision = found faces / all
detections, recall = found faces / all faces.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.media.faces import RIVAL_CASCADES, UPSAMPLE, detect, load_grey  # noqa: E402

# (label, detector, HOG upsampling, confirmation of doubtful HOG detections,
# the animal cascades the confirmation must out-vote): the chosen setting,
# the same without the animal veto (session 4), without confirmation (as it
# was before the false face on a dog), the quick setting (face_upsample: 0)
# and the comparison.
RUNS = (("hog, confirmed, animals vetoed (chosen)", "hog", UPSAMPLE, True, RIVAL_CASCADES),
        ("hog, confirmed, no animal veto (session 4)", "hog", UPSAMPLE, True, ()),
        ("hog, unconfirmed (before)", "hog", UPSAMPLE, False, ()),
        ("hog, face_upsample 0", "hog", 0, True, RIVAL_CASCADES),
        ("haar (OpenCV)", "haar", 0, False, ()))
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")

# name: faces in the photo (labelled by hand)
PHOTOS = {
    "astronaut": 1, "camera": 1,
    "brick": 0, "cell": 0, "chelsea": 0, "clock": 0, "coffee": 0, "coins": 0, "colorwheel": 0,
    "grass": 0, "gravel": 0, "horse": 0, "hubble_deep_field": 0, "immunohistochemistry": 0,
    "logo": 0, "microaneurysms": 0, "moon": 0, "stereo_motorcycle": 0, "page": 0,
    "retina": 0, "rocket": 0, "shepp_logan_phantom": 0, "text": 0,
}


def grey_photo(name: str) -> np.ndarray:
    from PIL import Image
    from skimage import data

    image = getattr(data, name)()
    if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
        image = image[0]
    if image.ndim == 3:
        image = np.asarray(Image.fromarray(image[..., :3].astype(np.uint8)).convert("L"))
    if image.dtype != np.uint8:
        image = image.astype(np.float64)
        image = (255 * (image - image.min()) / max(float(np.ptp(image)), 1e-9)).astype(np.uint8)
    pil = Image.fromarray(image)
    pil.thumbnail((640, 640))
    return np.asarray(pil, dtype=np.uint8)


def lfw_crops(side: int, frame_side: int) -> list[tuple[str, np.ndarray, int]]:
    """The 200 crops, each enlarged to ``side`` and centred in a grey frame."""
    from PIL import Image
    from skimage import data

    crops = data.lfw_subset()
    out = []
    margin = (frame_side - side) // 2
    for i, crop in enumerate(crops):
        face = Image.fromarray((crop * 255).astype(np.uint8) if crop.dtype != np.uint8 else crop)
        frame = Image.new("L", (frame_side, frame_side), 128)
        frame.paste(face.resize((side, side), Image.Resampling.BICUBIC), (margin, margin))
        out.append((f"lfw{side}-{'face' if i < 100 else 'background'}-{i % 100:02d}",
                    np.asarray(frame), 1 if i < 100 else 0))
    return out


# The LFW crops twice: at 100 pixels (a portrait) and at 50 (a face in a
# group photo reduced to 640 pixels), where HOG's 80-pixel window needs
# the picture doubled.
LFW_SIDES = ((100, 160), (50, 160))


def labelled_set() -> list[tuple[str, np.ndarray, int]]:
    return [(name, grey_photo(name), faces) for name, faces in PHOTOS.items()] + [
        row for side, frame in LFW_SIDES for row in lfw_crops(side, frame)]


def score(rows: list[tuple[str, int, int]]) -> dict[str, float]:
    found = sum(min(truth, got) for _, truth, got in rows)
    detections = sum(got for _, _, got in rows)
    faces = sum(truth for _, truth, _ in rows)
    return {"precision": found / detections if detections else 1.0,
            "recall": found / faces if faces else 1.0,
            "found": found, "detections": detections, "faces": faces}


def main() -> None:
    images = labelled_set()
    for label, detector, upsample, confirm, rivals in RUNS:
        # load the models outside the timing
        detect(images[0][1], detector, upsample, confirm, rivals)
        rows, started = [], time.perf_counter()
        for name, grey, truth in images:
            rows.append((name, truth, len(detect(grey, detector, upsample, confirm, rivals))))
        seconds = time.perf_counter() - started
        photos = rows[:len(PHOTOS)]
        lfw100, lfw50 = rows[len(PHOTOS):len(PHOTOS) + 200], rows[len(PHOTOS) + 200:]
        print(f"\n{label}: {len(images)} images in {seconds:.2f} s")
        for name, truth, got in photos:
            mark = "" if truth == got else "   <- wrong"
            print(f"  {name:22} faces {truth}  found {got}{mark}")
        for part_name, part in (("skimage photos", photos), ("lfw_subset 100px", lfw100),
                                ("lfw_subset 50px", lfw50), ("all", rows)):
            s = score(part)
            print(f"  {part_name:17} precision {s['precision']:.2f} recall {s['recall']:.2f} "
                  f"({s['found']} of {s['faces']} faces, {s['detections']} detections)")


def count_folders(folders: list[str]) -> None:
    """Faces counted by each HOG run in every image under ``folders``: the
    totals, and each image where the runs disagree (path and counts only)."""
    runs = [run for run in RUNS if run[1] == "hog" and run[2] == UPSAMPLE]
    paths = sorted(p for folder in folders for p in Path(folder).rglob("*")
                   if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    totals, with_faces, disagree = [0] * len(runs), [0] * len(runs), []
    seconds = [0.0] * len(runs)
    for path in paths:
        grey = load_grey(path)
        if grey is None:
            continue
        counts = []
        for i, (_, detector, upsample, confirm, rivals) in enumerate(runs):
            started = time.perf_counter()
            counts.append(len(detect(grey, detector, upsample, confirm, rivals)))
            seconds[i] += time.perf_counter() - started
        for i, n in enumerate(counts):
            totals[i] += n
            with_faces[i] += n > 0
        if len(set(counts)) > 1:
            disagree.append((path, counts))
    print(f"{len(paths)} images under {', '.join(folders)}")
    for i, (label, *_) in enumerate(runs):
        print(f"  {label:44} {totals[i]:4} faces in {with_faces[i]:3} images, {seconds[i]:.1f} s")
    print("images where the runs disagree (faces per run, in the order above):")
    for path, counts in disagree:
        print(f"  {path}  {counts}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--count"]:
        count_folders(sys.argv[2:])
    else:
        main()
