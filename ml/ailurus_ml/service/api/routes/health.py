"""Readiness of the ML admin service: the blob store (snapshots, serving pointer) answers."""

from fastapi import Request

from ailurus_common.http import health_router
from ailurus_common.storage.errors import StorageError


async def readiness(request: Request) -> tuple[bool, dict]:
    lifecycle = request.app.state.lifecycle
    try:
        await lifecycle.state()
    except (StorageError, ValueError) as exc:  # unreachable store, or a pointer that does not parse
        return False, {"blobs": type(exc).__name__}
    return True, {}


router = health_router(readiness)
