"""How much memory decoding an image takes, known from its header, and a pool that keeps
the decodes in flight within a budget.

A small file can hold a huge picture: a 0.45 MB all-zero PNG decodes to 116 Mpx. What a
decode costs is its pixel count times the bytes per pixel of everything held at the peak:
the decoded frame (Pillow keeps RGB 4 bytes wide), the decoder's own buffer where it has
one, and the working copies of the conversion to RGB and of the orientation fix.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

# Bytes per pixel of a loaded frame, by mode (everything not listed is stored 4 bytes wide).
_STORED = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
_HIGH_DEPTH = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}
_TRANSPARENT = {"RGBA", "RGBa", "LA", "La", "PA"}
# Decoders that fill a buffer of their own before Pillow copies it (libheif, libwebp, libavif).
_OWN_BUFFER = {"HEIF", "AVIF", "WEBP"}
_RGB_BYTES = 4


def decode_cost_bytes(image: Image.Image) -> int:
    """Peak bytes of decoding ``image`` (opened, not loaded; after any reduced-decode
    request, which shrinks ``image.size``) into an upright RGB frame. The orientation fix
    is always counted: the EXIF that names it can sit behind the pixels (a PNG's eXIf
    chunk after its IDAT, which Pillow finds only by decoding them), so it is read only
    once the decode's memory is reserved."""
    width, height = image.size
    mode = image.mode
    stored = _STORED.get(mode, _RGB_BYTES)
    if mode == "RGB":
        work = 0
    elif mode in _TRANSPARENT or (mode == "P" and "transparency" in image.info):
        work = 2 * _RGB_BYTES  # the RGBA view and the RGB canvas it is pasted on
    elif mode in _HIGH_DEPTH:
        work = stored + 4 + 1 + _RGB_BYTES  # array copy, float32 scaling, 8-bit, RGB
    else:
        work = _RGB_BYTES  # one converted copy
    own = _RGB_BYTES if (image.format or "") in _OWN_BUFFER else 0
    turn = _RGB_BYTES
    return width * height * (stored + work + own + turn)


class DecodeBudget:
    """Bytes of decode memory shared by the decoding threads: a decode waits until its
    cost fits, so the decodes in flight never hold more than ``pool_bytes`` together."""

    def __init__(self, pool_bytes: int) -> None:
        self.pool_bytes = pool_bytes
        self._free = pool_bytes
        self._changed = threading.Condition()

    @property
    def free_bytes(self) -> int:
        return self._free

    @contextmanager
    def reserve(self, cost_bytes: int) -> Iterator[None]:
        """Hold ``cost_bytes`` (at most the pool) for the duration of the block."""
        if cost_bytes > self.pool_bytes:
            raise ValueError(f"a decode of {cost_bytes} bytes can never fit a pool of {self.pool_bytes}")
        with self._changed:
            self._changed.wait_for(lambda: self._free >= cost_bytes)
            self._free -= cost_bytes
        try:
            yield
        finally:
            with self._changed:
                self._free += cost_bytes
                self._changed.notify_all()
