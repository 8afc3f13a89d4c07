"""Media type from the first bytes of a file: content decides, never the name."""

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
