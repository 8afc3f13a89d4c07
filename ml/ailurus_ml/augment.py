"""Training views of one image. View 0 is always the plain serving crop (validation and test
use only it); views 1.. are seeded random variations of what camera traps produce: a
different framing (random resized crop), a mirrored animal, exposure and colour drift, and
greyscale infrared night frames.
"""

import math

import numpy as np
from PIL import Image, ImageEnhance

from ailurus_common.imaging import center_crop_resize, crop_resize

PLAIN_VIEW = 0
CROP_AREA_RANGE = (0.35, 1.0)  # of the full frame
CROP_ASPECT_RANGE = (3 / 4, 4 / 3)
FLIP_PROBABILITY = 0.5
JITTER = 0.3  # brightness, contrast and saturation each scaled by 1 +- this
GREYSCALE_PROBABILITY = 0.2  # about the share of IR night frames in camera-trap data


def view_rng(seed: int, sha256: str, view_index: int) -> np.random.Generator:
    """The same (seed, image, view) always draws the same augmentation."""
    return np.random.default_rng([seed, int(sha256[:16], 16), view_index])


def _random_box(width: int, height: int, rng: np.random.Generator) -> tuple[float, float, float, float]:
    area = width * height * rng.uniform(*CROP_AREA_RANGE)
    aspect = math.exp(rng.uniform(math.log(CROP_ASPECT_RANGE[0]), math.log(CROP_ASPECT_RANGE[1])))
    crop_w = min(width, math.sqrt(area * aspect))
    crop_h = min(height, math.sqrt(area / aspect))
    left = rng.uniform(0, width - crop_w)
    top = rng.uniform(0, height - crop_h)
    return left, top, left + crop_w, top + crop_h


def make_view(upright: Image.Image, view_index: int, *, seed: int, sha256: str, input_size_px: int,
              crop_fraction: float) -> np.ndarray:
    """One view as the model input, uint8 ``[input_size_px, input_size_px, 3]``.

    Args:
        upright: the decoded RGB frame (``ailurus_common.imaging.upright_rgb``).
        view_index: 0 for the serving crop, >= 1 for an augmented view.
        seed: the training seed; with ``sha256`` and ``view_index`` it fixes the draw.
        sha256: the image's content hash.
        input_size_px: the model's input side.
        crop_fraction: the serving crop's share of the short side (view 0).
    """
    if view_index == PLAIN_VIEW:
        return center_crop_resize(upright, input_size_px, crop_fraction)
    rng = view_rng(seed, sha256, view_index)
    image = Image.fromarray(crop_resize(upright, _random_box(*upright.size, rng), input_size_px))
    if rng.random() < FLIP_PROBABILITY:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        image = enhancer(image).enhance(1.0 + rng.uniform(-JITTER, JITTER))
    if rng.random() < GREYSCALE_PROBABILITY:
        image = image.convert("L").convert("RGB")
    return np.asarray(image, dtype=np.uint8)
