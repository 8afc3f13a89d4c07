"""The ``BlobStore`` seam: named byte objects in a few fixed containers."""

from typing import Protocol

# Containers every deployment has (created on start if missing).
UPLOADS = "uploads"  # original bytes, never modified
PROCESSED = "processed"  # thumbnails
DATASETS = "datasets"
MODELS = "models"
CONTAINERS = (UPLOADS, PROCESSED, DATASETS, MODELS)


class BlobStore(Protocol):
    async def ensure_containers(self) -> None:
        """Create the fixed containers if they are missing."""

    async def put(self, container: str, name: str, data: bytes, *, content_type: str,
                  overwrite: bool = False) -> bool:
        """Store ``data``; returns False (and changes nothing) when the blob exists and
        ``overwrite`` is False. A reader never sees a partly written blob."""

    async def get(self, container: str, name: str) -> bytes:
        """The blob's bytes; raises ``NotFound``."""

    async def exists(self, container: str, name: str) -> bool: ...

    async def delete(self, container: str, name: str) -> bool:
        """Returns False when there was nothing to delete."""

    async def is_ready(self) -> bool:
        """True when the store answers now."""

    async def close(self) -> None: ...
