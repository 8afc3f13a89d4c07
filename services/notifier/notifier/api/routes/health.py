"""Readiness of the notifier: its delivery store answers."""

from fastapi import Request

from ailurus_common.http import health_router


async def readiness(request: Request) -> tuple[bool, dict]:
    return await request.app.state.store.is_ready(), {}


router = health_router(readiness)
