"""The image formats Ailurus accepts, and the media type of a file from its first bytes:
content decides, never the name. Every other list of formats derives from ``IMAGE_FORMATS``."""

from typing import NamedTuple


class ImageFormat(NamedTuple):
    decoder: str  # Pillow's format name: the only decoders preprocess tries
    media_type: str
    label: str  # as people write it


IMAGE_FORMATS = (
    ImageFormat("JPEG", "image/jpeg", "JPEG"),
    ImageFormat("PNG", "image/png", "PNG"),
    ImageFormat("WEBP", "image/webp", "WebP"),
    ImageFormat("TIFF", "image/tiff", "TIFF"),
    ImageFormat("BMP", "image/bmp", "BMP"),
    ImageFormat("GIF", "image/gif", "GIF"),
    ImageFormat("HEIF", "image/heic", "HEIC/HEIF"),
)
IMAGE_MEDIA_TYPES = frozenset(f.media_type for f in IMAGE_FORMATS)
DECODERS = tuple(f.decoder for f in IMAGE_FORMATS)
SUPPORTED_TEXT = ", ".join(f.label for f in IMAGE_FORMATS)

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"heif", b"hevc", b"heim", b"heis"}


def sniff_image_type(data: bytes) -> str | None:
    """The image media type the bytes start like, or None when they look like no image
    format Ailurus accepts."""
    head = data[:16]
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None
