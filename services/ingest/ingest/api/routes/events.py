"""The outbox: events recorded with the changes that caused them, for the notifier."""

from typing import Annotated

from fastapi import APIRouter, Query

from ailurus_common.contracts.events import OutboxAck, OutboxAcked, OutboxPage
from ingest.api.deps import StoreDep

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get("", response_model=OutboxPage)
async def pending_events(store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> OutboxPage:
    """Events the notifier has not taken over yet, oldest first."""
    return OutboxPage(items=await store.pending_events(limit=limit))


@router.post("/ack", response_model=OutboxAcked)
async def ack_events(body: OutboxAck, store: StoreDep) -> OutboxAcked:
    """The notifier has recorded these events' deliveries: they leave the outbox."""
    return OutboxAcked(acked=await store.ack_events(body.ids))


@router.post("", response_model=OutboxAcked, status_code=202)
async def append_events(body: OutboxPage, store: StoreDep) -> OutboxAcked:
    """Events of changes made elsewhere (the ML layer's promote and rollback); a re-sent id
    is kept once."""
    await store.append_events(body.items)
    return OutboxAcked(acked=len(body.items))
