"""Draw the ink studies: brush strokes on paper, from fixed seeds."""

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def draw(seed):
    rng = random.Random(seed)
    image = Image.new("L", (96, 96), 244)
    pen = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 6)):
        x, y = rng.randint(0, 95), rng.randint(0, 95)
        points = [(x, y)]
        for _ in range(rng.randint(4, 9)):
            x = min(95, max(0, x + rng.randint(-22, 22)))
            y = min(95, max(0, y + rng.randint(-22, 22)))
            points.append((x, y))
        pen.line(points, fill=rng.randint(10, 70), width=rng.randint(2, 7), joint="curve")
    return image.filter(ImageFilter.GaussianBlur(0.8))


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for seed in range(12):
        draw(seed).save(out / f"ink-{seed:02d}.png", compress_level=9)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/images")
