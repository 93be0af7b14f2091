"""The child process that runs the bundle's generator.

``python -B -m <this module> REQUEST``, started by :mod:`.runner` only under
``--trust-bundle-code``. It is the only process where the bundle's code is
imported: the bundle root goes on ``sys.path`` here, after our own modules
are loaded (a ``numpy.py`` in the bundle cannot stand in for numpy), and only
a module that is a file of the bundle is imported. Each batch's images are
hashed here and only the 64-bit hashes go back, in a JSON file in the
parent's temporary folder; nothing is written anywhere else by our code, and
no byte code is written (``-B``).

What goes back on failure names the exception's type and where it was
raised, never its message (it may quote anything the code read).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import itertools
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

# Loaded before the bundle root is on sys.path, so that the bundle cannot
# replace them.
import numpy as np
from PIL import Image

from aiart_release.engine import die_with_parent

from .compare import hash_image

# A generated image larger than this a side is refused (memory).
MAX_SIDE = 8192


class GeneratorError(Exception):
    """What the generator did wrong, in our own words (shown to the user)."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    die_with_parent()
    try:
        answer: dict[str, Any] = {"hashes": generate(request)}
    except GeneratorError as exc:
        answer = {"error": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - the bundle's code may raise anything
        answer = {"error": describe(exc, Path(request["root"]))}
    partial = Path(request["result"] + ".part")
    partial.write_text(json.dumps(answer), encoding="utf-8")
    os.replace(partial, request["result"])
    return 0


def generate(request: dict[str, Any]) -> list[int]:
    """Call the generator batch by batch up to ``samples``; the hash of
    every image, in sample order."""
    root = Path(request["root"])
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(root))
    generator = load_generator(request["module"], request["function"], root)
    samples, batch, seed = request["samples"], request["batch_size"], request["seed"]
    hashes: list[int] = []
    for start in range(0, samples, batch):
        n = min(batch, samples - start)
        made = generator(request["weights"], n, seed + start, request["device"])
        hashes.extend(hash_image(image) for image in as_images(made, n))
    return hashes


def load_generator(module_name: str, function: str, root: Path):
    """The generator function, from a module that is a file of the bundle.
    The top-level name is looked up in the bundle root alone first, so that
    a name the bundle does not hold never imports an installed module."""
    top = module_name.split(".")[0]
    if importlib.machinery.PathFinder.find_spec(top, [str(root)]) is None:
        raise GeneratorError(f"model.generator: no module {top!r} at the bundle root")
    module = importlib.import_module(module_name)
    origin = getattr(module, "__file__", None)
    if not origin or not Path(origin).resolve().is_relative_to(root.resolve()):
        raise GeneratorError(f"model.generator: {module_name!r} is not a module of the bundle "
                             "(the name of a module already loaded or installed)")
    generator = getattr(module, function, None)
    if not callable(generator):
        raise GeneratorError(f"model.generator: {module_name} has no function {function!r}")
    return generator


def as_images(made: Any, n: int) -> list[Image.Image]:
    """What one call returned, as ``n`` PIL images: a sequence of PIL images
    or uint8 H×W×3 arrays, or a tensor N×3×H×W of values in [0, 1]."""
    if _is_tensor(made):
        made = _tensor_images(made)
    if isinstance(made, (str, bytes, dict)) or not hasattr(made, "__iter__"):
        raise GeneratorError(f"the generator returned a {type(made).__name__}, not a sequence "
                             "of images")
    items = list(itertools.islice(iter(made), n + 1))
    if len(items) != n:
        more = "more than" if len(items) > n else "only"
        raise GeneratorError(f"the generator returned {more} {min(len(items), n)} images "
                             f"for a batch of {n}")
    return [_image(item, k) for k, item in enumerate(items)]


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach")


def _tensor_images(tensor: Any) -> list[np.ndarray]:
    import torch  # the generator returned a tensor: torch is loaded already

    if tensor.ndim != 4 or tensor.shape[1] != 3:
        raise GeneratorError(f"the generator returned a tensor of shape {tuple(tensor.shape)}, "
                             "not N×3×H×W")
    _check_side(tensor.shape[2], tensor.shape[3], "the tensor")
    values = tensor.detach().to("cpu", torch.float32).clamp(0, 1)
    pixels = (values * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return list(pixels)


def _image(item: Any, k: int) -> Image.Image:
    if isinstance(item, Image.Image):
        _check_side(item.height, item.width, f"image {k}")
        return item
    if isinstance(item, np.ndarray) and item.dtype == np.uint8 and item.ndim == 3 \
            and item.shape[2] == 3:
        _check_side(item.shape[0], item.shape[1], f"image {k}")
        return Image.fromarray(item)
    shape = f" of shape {item.shape} and type {item.dtype}" if isinstance(item, np.ndarray) else ""
    raise GeneratorError(f"image {k} of a batch is a {type(item).__name__}{shape}, not a PIL "
                         "image or a uint8 H×W×3 array")


def _check_side(height: int, width: int, what: str) -> None:
    if not (0 < height <= MAX_SIDE and 0 < width <= MAX_SIDE):
        raise GeneratorError(f"{what} is {width}×{height} pixels: each side must be 1 to "
                             f"{MAX_SIDE}")


def describe(exc: BaseException, root: Path) -> str:
    """``TypeName at file:line``: the innermost frame in the bundle's code
    (its path relative to the bundle), else the innermost of all."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(root.resolve())]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return type(exc).__name__
    path = Path(frame.filename).resolve()
    shown = path.relative_to(root.resolve()).as_posix() if ours else path.name
    return f"{type(exc).__name__} at {shown}:{frame.lineno}"


if __name__ == "__main__":
    sys.exit(main())
