"""Read the EXIF fields the product keeps: capture time, GPS, camera make/model, orientation.

EXIF is written by cameras, phones and, in hostile files, by anyone: every field is
optional, every value is checked, and a malformed block yields no facts, not an error.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from PIL import Image

from ailurus_common.imaging import EXIF_ORIENTATION_TAG, valid_orientation

_MAKE, _MODEL, _DATETIME = 0x010F, 0x0110, 0x0132
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_MAX_TEXT_CHARS = 64


@dataclass(frozen=True)
class ExifFacts:
    orientation: int = 1
    captured_at_local: str | None = None  # ISO 8601; local camera time unless the file has an offset
    latitude: float | None = None
    longitude: float | None = None
    altitude_m: float | None = None
    make: str | None = None
    model: str | None = None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip()
    return cleaned[:_MAX_TEXT_CHARS] or None


def _capture_time(stamp: object, offset: object) -> str | None:
    text = _text(stamp)
    if not text:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    iso = moment.isoformat()
    offset_text = _text(offset)
    if offset_text and len(offset_text) == 6 and offset_text[0] in "+-" and offset_text[3] == ":":
        iso += offset_text
    return iso


def _degrees(dms: object, ref: object, limit: float) -> float | None:
    try:
        d, m, s = (float(x) for x in dms)  # IFDRational or floats
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value) or value > limit:
        return None
    if _text(ref) in ("S", "W"):
        value = -value
    return round(value, 7)


def _altitude(value: object, ref: object) -> float | None:
    try:
        alt = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(alt):
        return None
    below_sea = ref in (1, b"\x01")
    return round(-alt if below_sea else alt, 2)


def read_exif(image: Image.Image) -> ExifFacts:
    """Extract facts from an opened (not yet decoded) image; never raises on bad EXIF."""
    try:
        exif = image.getexif()
        ifd = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001 - a malformed EXIF block must not reject a good image
        return ExifFacts()
    orientation = exif.get(EXIF_ORIENTATION_TAG, 1)
    latitude = _degrees(gps.get(2), gps.get(1), 90.0) if gps else None
    longitude = _degrees(gps.get(4), gps.get(3), 180.0) if gps else None
    if latitude is None or longitude is None:
        latitude = longitude = None
    return ExifFacts(
        orientation=valid_orientation(orientation),
        captured_at_local=_capture_time(ifd.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME), ifd.get(_OFFSET_TIME_ORIGINAL)),
        latitude=latitude,
        longitude=longitude,
        altitude_m=_altitude(gps.get(6), gps.get(5)) if gps and gps.get(6) is not None and latitude is not None else None,
        make=_text(exif.get(_MAKE)),
        model=_text(exif.get(_MODEL)),
    )
