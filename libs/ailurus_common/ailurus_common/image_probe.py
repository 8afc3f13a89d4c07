"""Is a file an image the serving decoder opens? The same opening and header check as
preprocess (``ailurus_common.imaging.open_image``), a full (JPEG: reduced-size) decode to
catch truncated data, and the EXIF capture time. For importers (datasets, batch tools) that
must judge files before they reach the services; preprocess keeps its own decode path for the
model input.

Hostile input never raises anything but ``UnreadableImage``. GPS is never read.
"""

import warnings
from dataclasses import dataclass
from datetime import datetime

from ailurus_common.imaging import HeaderLimits, ImageRefused, open_image
from ailurus_common.sniff import sniff_image_type

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
# JPEG: libjpeg decodes at 1/8 scale in the DCT domain; it still reads every byte, so a
# truncated file fails as it would at full size, at a fraction of the time.
_JPEG_DRAFT_SCALE = 8


@dataclass(frozen=True)
class ProbedImage:
    format: str  # Pillow's decoder name
    media_type: str
    width_px: int
    height_px: int
    captured_at: datetime | None  # EXIF DateTimeOriginal; aware when the file has OffsetTimeOriginal


class UnreadableImage(ValueError):
    """The bytes are not an image the services would decode."""


def _capture_time(image: object) -> datetime | None:
    try:
        ifd = image.getexif().get_ifd(_EXIF_IFD)  # type: ignore[attr-defined]
        stamp, offset = ifd.get(_DATETIME_ORIGINAL), ifd.get(_OFFSET_TIME_ORIGINAL)
    except Exception:  # noqa: BLE001 - a malformed EXIF block is no capture time, not a bad image
        return None
    if isinstance(stamp, bytes):
        stamp = stamp.decode("ascii", errors="replace")
    if not isinstance(stamp, str):
        return None
    text = stamp.strip("\x00 ")[:19]
    if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
        text += offset.strip("\x00 ")
    for pattern in ("%Y:%m:%d %H:%M:%S%z", "%Y:%m:%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def probe_image(data: bytes, limits: HeaderLimits = HeaderLimits()) -> ProbedImage:
    """Open, check and decode ``data`` as preprocess would.

    Raises:
        UnreadableImage: empty, not an accepted format, broken header, over a limit, or
            pixel data that does not decode (truncated, corrupt).
    """
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning and friends: our own limits decide
        try:
            image = open_image(data, limits)
        except ImageRefused as refused:
            raise UnreadableImage(refused.message) from None
        with image:
            width, height = image.size
            captured_at = _capture_time(image)
            try:
                if image.format in ("JPEG", "MPO"):
                    image.draft("RGB", (max(1, width // _JPEG_DRAFT_SCALE), max(1, height // _JPEG_DRAFT_SCALE)))
                image.load()
            except Exception as exc:  # noqa: BLE001 - truncated or corrupt data from outside
                raise UnreadableImage(f"the image data cannot be decoded: {exc}") from None
            decoder = image.format or "unknown"
    media_type = sniff_image_type(data) or Image.MIME.get(decoder, "application/octet-stream")
    return ProbedImage(format=decoder, media_type=media_type, width_px=width, height_px=height,
                       captured_at=captured_at)
