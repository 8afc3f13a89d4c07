"""From bytes to the model's input: opening with the accepted decoders only and the header
limits (before any pixel is decoded), reduced JPEG decode, RGB conversion, EXIF orientation,
central crop and resize.

The serving path (preprocess) and training both use these functions, so a model is trained
on exactly the pixels it is later served: with cv2's INTER_AREA resize instead of this crop,
ImageNet top-1 agreed with the service on only 30 of 38 frames (38/38 with this code).
"""

import io
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pillow_heif
from PIL import Image, UnidentifiedImageError

from ailurus_common.errors import ErrorCode
from ailurus_common.sniff import DECODERS, SUPPORTED_TEXT, sniff_image_type


@dataclass(frozen=True)
class HeaderLimits:
    """What the header must satisfy before anything is decoded (preprocess's defaults)."""

    max_pixels: int = 120_000_000
    min_side_px: int = 32
    max_aspect_ratio: float = 12.0


class ImageRefused(ValueError):
    """The bytes are not an image the services decode; ``code`` says why."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@cache
def register_decoders() -> None:
    """Register HEIF/HEIC and load every Pillow plugin (once: ``formats=`` only knows
    registered ones, and registration is global state)."""
    pillow_heif.register_heif_opener()
    Image.init()


def check_dimensions(width: int, height: int, limits: HeaderLimits) -> None:
    """Raises ``ImageRefused`` (too_many_pixels, bad_dimensions) for a header over a limit."""
    if width * height > limits.max_pixels:
        raise ImageRefused(ErrorCode.TOO_MANY_PIXELS,
                           f"{width}x{height} is {width * height} pixels; the limit is {limits.max_pixels}")
    if min(width, height) < limits.min_side_px:
        raise ImageRefused(ErrorCode.BAD_DIMENSIONS, f"{width}x{height}: the short side is under {limits.min_side_px} px")
    if max(width, height) / min(width, height) > limits.max_aspect_ratio:
        raise ImageRefused(ErrorCode.BAD_DIMENSIONS, f"{width}x{height}: aspect ratio beyond {limits.max_aspect_ratio}:1")


def open_image(data: bytes, limits: HeaderLimits) -> Image.Image:
    """Open ``data`` with the accepted decoders only (content decides, never a file name) and
    check its header; no pixel is decoded yet. Raises ``ImageRefused`` (empty_file,
    unsupported_format, corrupt_image, too_many_pixels, bad_dimensions) for anything else."""
    if not data:
        raise ImageRefused(ErrorCode.EMPTY_FILE, "the file is empty (0 bytes)")
    register_decoders()
    try:
        # Multi-picture MPO files open through the JPEG decoder.
        image = Image.open(io.BytesIO(data), formats=DECODERS)
    except UnidentifiedImageError:
        # Starts like an image we accept but does not parse: broken, not foreign.
        if sniff_image_type(data):
            raise ImageRefused(ErrorCode.CORRUPT_IMAGE, "the file starts like an image but its header is broken") from None
        raise ImageRefused(ErrorCode.UNSUPPORTED_FORMAT, f"not an image in a supported format ({SUPPORTED_TEXT})") from None
    except Image.DecompressionBombError:
        raise ImageRefused(ErrorCode.TOO_MANY_PIXELS, f"the image has more than {limits.max_pixels} pixels") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure on hostile input is the caller's error
        raise ImageRefused(ErrorCode.CORRUPT_IMAGE, f"the image header cannot be read: {exc}") from None
    try:
        check_dimensions(*image.size, limits)
    except ImageRefused:
        image.close()
        raise
    return image


EXIF_ORIENTATION_TAG = 0x0112
# EXIF orientation -> the Pillow operations that make the frame upright.
_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}
# Orientations that swap width and height.
SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})


def valid_orientation(value: object) -> int:
    """The EXIF orientation if it is one of 1..8, else 1 (EXIF is written by anyone)."""
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def read_orientation(image: Image.Image) -> int:
    """The EXIF orientation of an opened image; 1 when absent or malformed."""
    try:
        return valid_orientation(image.getexif().get(EXIF_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - a malformed EXIF block must not reject a good image
        return 1


def reduce_on_decode(image: Image.Image, needed_short_side_px: int) -> int:
    """JPEG only: let libjpeg decode at 1/2, 1/4 or 1/8 scale while the short side stays
    at least ``needed_short_side_px`` (2-3x faster on 3-12 MP frames). Returns the scale."""
    if image.format not in ("JPEG", "MPO"):
        return 1
    width, height = image.size
    scale = min(width, height) / needed_short_side_px
    if scale < 2:
        return 1
    # draft() picks the largest reduction that keeps both sides >= the requested size.
    image.draft("RGB", (math.ceil(width / scale), math.ceil(height / scale)))
    return max(1, round(width / image.size[0]))


def needed_short_side_px(input_size_px: int, crop_fraction: float) -> int:
    """The short side a decode must keep so the central crop still covers the model input."""
    return math.ceil(input_size_px / crop_fraction)


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB of any mode: high bit depth is stretched, transparent pixels become black."""
    if image.mode == "RGB":
        return image
    # Each branch holds at most the working copies preprocess's decode_budget.decode_cost_bytes counts.
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # High bit depth (scientific TIFF/PNG): stretch to 8 bits instead of clipping to white.
        values = np.asarray(image)
        peak = float(values.max()) or 1.0
        scaled = np.multiply(values, 255.0 / peak, dtype=np.float32)
        del values
        image = Image.fromarray(np.clip(scaled, 0, 255, out=scaled).astype(np.uint8), mode="L")
        del scaled
    if image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels become black rather than whatever colour they hide.
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (0, 0, 0))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """The frame made upright according to its EXIF orientation."""
    for op in _TRANSPOSE.get(orientation, []):
        image = image.transpose(op)
    return image


def crop_resize(image: Image.Image, box: tuple[float, float, float, float], size_px: int) -> np.ndarray:
    """The region ``box`` (left, top, right, bottom; sub-pixel allowed) resized to a
    ``size_px`` square, as uint8 ``[size_px, size_px, 3]``; the serving resampling."""
    resized = image.resize((size_px, size_px), Image.Resampling.BILINEAR, box=box)
    return np.asarray(resized, dtype=np.uint8)


def center_box(width: int, height: int, crop_fraction: float) -> tuple[float, float, float, float]:
    """The central square of ``crop_fraction`` x the short side."""
    side = min(width, height) * crop_fraction
    left, top = (width - side) / 2, (height - side) / 2
    return left, top, left + side, top + side


def center_crop_resize(image: Image.Image, size_px: int, crop_fraction: float) -> np.ndarray:
    """The model input: the central square of ``crop_fraction`` x the short side, resized."""
    return crop_resize(image, center_box(*image.size, crop_fraction), size_px)


def upright_rgb(image: Image.Image, *, input_size_px: int, crop_fraction: float) -> Image.Image:
    """An opened (not yet loaded) image decoded as the service decodes it: reduced JPEG
    decode, RGB, upright. Raises what Pillow raises on broken data."""
    orientation = read_orientation(image)
    reduce_on_decode(image, needed_short_side_px(input_size_px, crop_fraction))
    image.load()
    return apply_orientation(to_rgb(image), orientation)
