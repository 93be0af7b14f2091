"""Procedural shape studies: the generator behind this bundle's images.

Each image is drawn from a seed and a palette; nothing here is learned from
anyone else's work. Run `python code/draw_shapes.py OUT_DIR` to redraw the
dataset, or import `draw` to sample new images from model/palette.safetensors.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 96
SHAPES = ("circle", "square", "triangle")
WARM = [(204, 121, 67), (230, 180, 80), (140, 60, 40), (250, 230, 200)]
COOL = [(40, 80, 140), (90, 160, 170), (20, 30, 60), (220, 235, 240)]


def draw(seed: int, palette: list[tuple[int, int, int]]) -> tuple[Image.Image, str]:
    """One image and its caption."""
    rng = random.Random(seed)
    background = palette[-1]
    image = Image.new("RGB", (SIZE, SIZE), background)
    pen = ImageDraw.Draw(image)
    shape = rng.choice(SHAPES)
    count = rng.randint(2, 4)
    for _ in range(count):
        x, y = rng.randint(8, SIZE - 40), rng.randint(8, SIZE - 40)
        size = rng.randint(16, 36)
        colour = rng.choice(palette[:-1])
        box = (x, y, x + size, y + size)
        if shape == "circle":
            pen.ellipse(box, fill=colour)
        elif shape == "square":
            pen.rectangle(box, fill=colour)
        else:
            pen.polygon([(x, y + size), (x + size // 2, y), (x + size, y + size)], fill=colour)
    tone = "warm" if palette is WARM else "cool"
    return image, f"{count} overlapping {shape}s in {tone} tones"


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = ["file_name,caption"]
    for seed in range(8):
        palette = WARM if seed % 2 == 0 else COOL
        image, caption = draw(seed, palette)
        name = f"shape-{seed:03d}.png"
        image.save(out / name, optimize=False, compress_level=9)
        rows.append(f"images/{name},{caption}")
    (out.parent / "captions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/images")
