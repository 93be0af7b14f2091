"""Regenerate the example bundles' binary files (images, weights, the
template-rendered card). Deterministic: same seeds, same output.

Run with `make examples`. The bundles' text files are written by hand and
committed; this script only draws what cannot be written by hand.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
from huggingface_hub import ModelCard, ModelCardData
from PIL import Image, ImageDraw, ImageFilter, ImageOps, PngImagePlugin
from safetensors.numpy import save_file

HERE = Path(__file__).parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def own_work() -> None:
    bundle = HERE / "own-work"
    _load(bundle / "code" / "draw_shapes.py").main(str(bundle / "data" / "images"))
    _load(bundle / "code" / "train_palette.py").main(
        str(bundle / "data" / "images"), str(bundle / "model" / "palette.safetensors")
    )


def unlicensed_unfilled() -> None:
    bundle = HERE / "unlicensed-unfilled"
    images = bundle / "data" / "images"
    images.mkdir(parents=True, exist_ok=True)
    subjects = ["a heron", "bamboo in wind", "a mountain path", "a plum branch", "two boats"]
    for i, subject in enumerate(subjects):
        rng = random.Random(100 + i)
        image = Image.new("L", (96, 96), 245)
        pen = ImageDraw.Draw(image)
        for _ in range(rng.randint(6, 12)):
            x0, y0 = rng.randint(0, 95), rng.randint(0, 95)
            x1, y1 = rng.randint(0, 95), rng.randint(0, 95)
            pen.line((x0, y0, x1, y1), fill=rng.randint(10, 90), width=rng.randint(1, 5))
        image = image.filter(ImageFilter.GaussianBlur(1.2)).convert("RGB")
        image.save(images / f"ink-{i:02d}.png", compress_level=9)
        (images / f"ink-{i:02d}.txt").write_text(f"ink wash study of {subject}\n", "utf-8")

    rng = np.random.default_rng(7)
    tensors = {
        f"lora_unet_down_blocks_0_attentions_0.{part}.weight": rng.standard_normal(
            shape, dtype=np.float32) * 0.01
        for part, shape in (("lora_down", (4, 32)), ("lora_up", (32, 4)))
    }
    save_file(tensors, str(bundle / "model" / "ink-wash-lora.safetensors"),
              metadata={"ss_network_dim": "4"})

    # The Hugging Face template, rendered with nothing filled in: what many
    # first uploads look like.
    data = ModelCardData(
        base_model="stabilityai/stable-diffusion-xl-base-1.0",
        tags=["lora", "text-to-image"],
        pipeline_tag="text-to-image",
    )
    card = ModelCard.from_template(data, model_id="ink-wash-lora")
    (bundle / "model" / "README.md").write_text(str(card), "utf-8")


def portrait_sessions() -> None:
    """Abstract stand-ins for portraits: an oval face shape on a backdrop.
    (No real person's photo belongs in an example.)"""
    photos = HERE / "portrait-sessions" / "data" / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    for i in range(1, 9):
        rng = random.Random(200 + i)
        backdrop = tuple(rng.randint(40, 120) for _ in range(3))
        image = Image.new("RGB", (96, 96), backdrop)
        pen = ImageDraw.Draw(image)
        tone = tuple(rng.randint(150, 230) for _ in range(3))
        pen.ellipse((30, 18, 66, 62), fill=tone)
        pen.rectangle((24, 62, 72, 96), fill=tuple(rng.randint(20, 200) for _ in range(3)))
        image.save(photos / f"session-{i:02d}.png", compress_level=9)


def nc_base_lora() -> None:
    """Soft watercolour washes, and a LoRA file of small random tensors."""
    bundle = HERE / "nc-base-lora"
    images = bundle / "data" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for i in range(6):
        rng = random.Random(300 + i)
        image = Image.new("RGB", (96, 96), (246, 242, 232))
        pen = ImageDraw.Draw(image)
        for _ in range(5):
            x, y = rng.randint(-20, 80), rng.randint(-20, 80)
            colour = (rng.randint(60, 200), rng.randint(90, 200), rng.randint(120, 230))
            pen.ellipse((x, y, x + rng.randint(30, 70), y + rng.randint(20, 50)), fill=colour)
        image.filter(ImageFilter.GaussianBlur(3)).save(images / f"wash-{i:02d}.png",
                                                       compress_level=9)
    rng_np = np.random.default_rng(11)
    save_file({"lora_A": rng_np.standard_normal((16, 64), dtype=np.float32) * 0.01,
               "lora_B": rng_np.standard_normal((64, 16), dtype=np.float32) * 0.01},
              str(bundle / "model" / "lumen-watercolor-lora.safetensors"),
              metadata={"base_model": "black-forest-labs/FLUX.1-dev", "rank": "16"})


def forum_fanart() -> None:
    """Stand-ins for forum fan art: dragons of overlapping triangles."""
    images = HERE / "forum-fanart" / "data" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for i in range(5):
        rng = random.Random(400 + i)
        image = Image.new("RGB", (96, 96), (20, 20, 35))
        pen = ImageDraw.Draw(image)
        for _ in range(9):
            x, y = rng.randint(0, 90), rng.randint(0, 90)
            colour = (rng.randint(120, 255), rng.randint(40, 160), rng.randint(40, 200))
            pen.polygon([(x, y), (x + rng.randint(-30, 30), y + rng.randint(5, 30)),
                         (x + rng.randint(5, 30), y + rng.randint(-20, 20))], fill=colour)
        image.save(images / f"fan-{i:02d}.png", compress_level=9)


def _astronaut() -> Image.Image:
    """scikit-image's photo of the astronaut Eileen Collins (NASA, public
    domain, as skimage.data.astronaut's docstring says): a real face that a
    face detector finds, which the project may ship."""
    from skimage import data

    return Image.fromarray(data.astronaut())


def _rational_dms(degrees: float) -> tuple[float, float, float]:
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    return (float(whole), float(minutes), round(((degrees - whole) * 60 - minutes) * 60, 2))


def geotagged_portraits() -> None:
    """Street portraits with the camera's EXIF left in (GPS, the
    photographer's name), and generated samples whose PNG `parameters`
    chunk names a real person. All pictures are crops and recolourings of
    one public-domain photo (scikit-image's astronaut)."""
    bundle = HERE / "geotagged-portraits"
    photos, samples = bundle / "data" / "photos", bundle / "samples"
    photos.mkdir(parents=True, exist_ok=True)
    samples.mkdir(parents=True, exist_ok=True)
    source = _astronaut()
    # Where each photo was taken: streets of Lyon, to the metre.
    places = [(45.7640, 4.8357), (45.7597, 4.8422), (45.7676, 4.8344), (45.7578, 4.8320)]
    for i, (lat, lon) in enumerate(places, start=1):
        rng = random.Random(500 + i)
        left, top = rng.randint(60, 110), rng.randint(0, 30)
        image = source.crop((left, top, left + 320, top + 320))
        if i % 2 == 0:
            image = ImageOps.mirror(image)
        image = Image.blend(image, Image.new("RGB", image.size, (rng.randint(0, 255),
                                                                  rng.randint(0, 255), 90)), 0.15)
        exif = Image.Exif()
        exif[0x013B] = "Marta Quelle"  # Artist: the (fictional) photographer
        exif[0x0110] = "Street camera X100"
        exif[0x8825] = {0: b"\x02\x03\x00\x00", 1: "N", 2: _rational_dms(lat),
                        3: "E", 4: _rational_dms(lon)}
        image.save(photos / f"portrait-{i:02d}.jpg", quality=80, exif=exif)

    prompts = [
        "portrait of Eileen Collins in a flight suit, oil painting, dramatic light",
        "Eileen Collins smiling beside the space shuttle, watercolour",
    ]
    for i, prompt in enumerate(prompts, start=1):
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", f"{prompt}\nNegative prompt: blurry, lowres\n"
                                    f"Steps: 28, Sampler: Euler a, CFG scale: 7, Seed: {9100 + i}, "
                                    "Size: 256x256, Model: street-portraits-lora")
        image = source.crop((70, 0, 390, 320)).resize((256, 256), Image.Resampling.LANCZOS)
        image = ImageOps.posterize(image, 3 + i)  # a painted look
        image.save(samples / f"sample-{i:02d}.png", pnginfo=info, compress_level=9)


def pickled_checkpoint() -> None:
    """A studio's ink-sketch model shipped as a pickle-based checkpoint.

    The checkpoint is a torch.save-style zip archive whose data.pkl, when
    unpickled, would call os.system (a harmless echo): what a malicious
    checkpoint looks like to a scanner. Nothing here unpickles it. The
    samples are three new sketches and one near-copy of a training image
    (ink-04 resized and re-encoded): what a model that memorised its twelve
    images produces."""
    import struct
    import zipfile

    bundle = HERE / "pickled-checkpoint"
    images, samples = bundle / "data" / "images", bundle / "samples"
    draw = _load(bundle / "code" / "draw_ink.py")
    draw.main(str(images))
    samples.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate((101, 102, 103)):
        draw.draw(seed).save(samples / f"sample-{i:02d}.png", compress_level=9)
    copy = Image.open(images / "ink-04.png").resize((80, 80), Image.Resampling.LANCZOS)
    copy.save(samples / "sample-03.jpg", quality=85)

    command = "echo this checkpoint ran a shell command when it was loaded"
    payload = (b"\x80\x02cos\nsystem\nq\x00X" + struct.pack("<I", len(command))
               + command.encode() + b"\x85q\x01Rq\x02.")
    with zipfile.ZipFile(bundle / "model" / "ink-sketch.ckpt", "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", b"3\n")
        archive.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))


if __name__ == "__main__":
    own_work()
    unlicensed_unfilled()
    portrait_sessions()
    nc_base_lora()
    forum_fanart()
    geotagged_portraits()
    pickled_checkpoint()
    print("examples regenerated")
