"""'Trains' the palette model: the mean colour of each quarter of the
brightness range over the dataset images, saved as safetensors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors.numpy import save_file


def train(image_dir: Path) -> np.ndarray:
    pixels = np.concatenate([
        np.asarray(Image.open(p).convert("RGB"), dtype=np.float32).reshape(-1, 3)
        for p in sorted(image_dir.glob("*.png"))
    ])
    brightness = pixels.mean(axis=1)
    edges = np.quantile(brightness, [0.0, 0.25, 0.5, 0.75, 1.0])
    centres = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        chosen = pixels[(brightness >= low) & (brightness <= high)]
        centres.append(chosen.mean(axis=0))
    return np.stack(centres).astype(np.float32)


def main(image_dir: str, out: str) -> None:
    save_file({"palette": train(Path(image_dir))}, out,
              metadata={"format": "np", "trained_on": "own-work shapes, 8 images"})


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) > 2 else ("data/images", "model/palette.safetensors")))
