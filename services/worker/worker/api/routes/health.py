"""Readiness of the worker: its queue and the blob store answer (ingest and preprocess
being down only delays work: messages wait in the queue)."""

from fastapi import Request

from ailurus_common.http import health_router
from worker.schemas import Readiness


async def readiness(request: Request) -> tuple[bool, dict]:
    consumer = request.app.state.consumer
    state = Readiness(queue=await consumer.queue.is_ready(), blobs=await consumer.blobs.is_ready())
    return state.queue and state.blobs, state.model_dump()


router = health_router(readiness)
