"""The ``BlobStore`` seam: named byte objects in a few fixed containers, and the name
rules every backend applies (a name that works locally works on Azure, and the other way round)."""

import re
from typing import Protocol

from ailurus_common.errors import ErrorCode
from ailurus_common.storage.errors import StorageError

# Containers every deployment has (created on start if missing).
UPLOADS = "uploads"  # original bytes, never modified
PROCESSED = "processed"  # thumbnails
DATASETS = "datasets"
MODELS = "models"
STAGING = "staging"  # resumable uploads under way: their staged blocks and session records
CONTAINERS = (UPLOADS, PROCESSED, DATASETS, MODELS, STAGING)

# An original lives at uploads/<first two hex digits>/<sha256>: content-addressed, so the same
# bytes always land on the same name. Records carry this path; nothing else is read as one.
ORIGINAL_PATH_PATTERN = rf"^{UPLOADS}/[0-9a-f]{{2}}/[0-9a-f]{{64}}$"


def original_blob_name(media_id: str) -> str:
    """The name in ``uploads/`` of the original with this content hash."""
    return f"{media_id[:2]}/{media_id}"


def original_location(path: str) -> tuple[str, str] | None:
    """(container, name) of a record's original path, or None when it is not an original's."""
    if re.fullmatch(ORIGINAL_PATH_PATTERN, path) is None:
        return None
    container, _, name = path.partition("/")
    return container, name


MAX_BLOB_NAME_CHARS = 1024  # Azure's limit
# A staged block's id: Azure wants every id of one blob the same length (callers pad, e.g.
# a zero-padded byte offset) and at most 64 bytes; the local store uses it as a file name.
BLOCK_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def validate_blob_id_list(block_ids: list[str]) -> None:
    """Raises ``StorageError`` (400, ``invalid_blob_name``) for an id outside ``BLOCK_ID_PATTERN``
    or ids of different lengths."""
    for block_id in block_ids:
        if re.fullmatch(BLOCK_ID_PATTERN, block_id) is None:
            raise StorageError(f"invalid block id {block_id[:80]!r}", code=ErrorCode.INVALID_BLOB_NAME, status_code=400)
    if len({len(block_id) for block_id in block_ids}) > 1:
        raise StorageError("block ids of one blob must have the same length", code=ErrorCode.INVALID_BLOB_NAME,
                           status_code=400)
MAX_SEGMENT_BYTES = 255  # a file name on Linux filesystems (NAME_MAX), in UTF-8 bytes
# Azure's container rule: 3-63 chars, lowercase letters, digits, single inner hyphens.
_CONTAINER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")


def validate_container_name(container: str) -> None:
    """Raises ``StorageError`` (400, ``invalid_container_name``) unless Azure would accept it."""
    if not _CONTAINER_NAME.match(container):
        raise StorageError(f"invalid container name {container!r}", code=ErrorCode.INVALID_CONTAINER_NAME, status_code=400)


def validate_blob_name(name: str) -> None:
    """Raises ``StorageError`` (400, ``invalid_blob_name``) for a name that is empty, too
    long, absolute, has a backslash or control character, or an empty/``.``/``..``/too
    long segment (segments are the parts between ``/``)."""
    problem = None
    if not name:
        problem = "is empty"
    elif len(name) > MAX_BLOB_NAME_CHARS:
        problem = f"is longer than {MAX_BLOB_NAME_CHARS} characters"
    elif name.startswith("/"):
        problem = "is absolute"
    elif "\\" in name:
        problem = "contains a backslash"
    elif any(ord(char) < 0x20 or char == "\x7f" for char in name):
        problem = "contains a control character"
    elif any(segment in ("", ".", "..") for segment in name.split("/")):
        problem = "has an empty, '.' or '..' segment"
    elif any(len(segment.encode()) > MAX_SEGMENT_BYTES for segment in name.split("/")):
        problem = f"has a segment longer than {MAX_SEGMENT_BYTES} bytes"
    if problem:
        shown = name if len(name) <= 80 else name[:80] + "..."
        raise StorageError(f"blob name {shown!r} {problem}", code=ErrorCode.INVALID_BLOB_NAME, status_code=400)


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

    async def list_names(self, container: str, prefix: str = "") -> list[str]:
        """Names of the blobs in ``container`` that start with ``prefix`` (a plain string
        prefix, not a folder: ``"snap"`` matches ``"snapshots/a"``), sorted; ``[]`` when the
        container is missing. Folders are not blobs and are never listed."""

    async def delete(self, container: str, name: str) -> bool:
        """Returns False when there was nothing to delete."""

    async def stage_block(self, container: str, name: str, block_id: str, data: bytes) -> None:
        """Keep ``data`` as block ``block_id`` of the blob ``name``, not readable as (part
        of) the blob until ``commit_blocks``. Staging an id again replaces its bytes. Ids
        of one blob must all have the same length (``BLOCK_ID_PATTERN``)."""

    async def staged_blocks(self, container: str, name: str) -> dict[str, int]:
        """The staged, not yet committed blocks of ``name``: id -> size in bytes (``{}``
        when there are none). Survives a restart of the process that staged them."""

    async def commit_blocks(self, container: str, name: str, block_ids: list[str], *, content_type: str,
                            overwrite: bool = False) -> bool:
        """Make the blob ``name`` the staged blocks ``block_ids`` joined in that order, in
        one step (a reader sees the old blob or the whole new one), and drop every staged
        block of ``name``. Returns False (and changes nothing) when the blob exists and
        ``overwrite`` is False. Raises ``StorageError`` (400, ``invalid_blob_name``) for an
        id that is not staged."""

    async def discard_blocks(self, container: str, name: str) -> None:
        """Drop every staged block of ``name`` (a committed blob of that name is kept)."""

    async def is_ready(self) -> bool:
        """True when the store answers now."""

    async def close(self) -> None: ...
