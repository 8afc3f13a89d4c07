"""The Azure Event Grid sink (``NOTIFIER_SINK=eventgrid``): every outbox event published as
a CloudEvent to one custom topic (Logic Apps and other Event Grid subscribers take it from
there; the topic's own subscriptions filter and retry). Events are acknowledged in ingest's
outbox only after the topic accepted them, so a failed publish is sent again, with the same
id, on the next pass.
"""

import asyncio
import logging

from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import AzureError
from azure.core.messaging import CloudEvent as AzureCloudEvent
from azure.eventgrid.aio import EventGridPublisherClient

from ailurus_common.contracts.events import EVENT_SOURCE, OutboxEvent, payload
from notifier.config import NotifierSettings
from notifier.dispatcher import EventAck, EventSource
from notifier.metrics import ATTEMPTS, EVENTS

log = logging.getLogger(__name__)


def to_azure(event: OutboxEvent, data: dict) -> AzureCloudEvent:
    """The outbox event as the SDK's CloudEvent (same id, type, source, subject, time)."""
    return AzureCloudEvent(source=EVENT_SOURCE, type=str(event.type), data=data, subject=event.subject,
                           id=event.id, time=event.time, datacontenttype="application/json")


def open_publisher(settings: NotifierSettings) -> EventGridPublisherClient:
    if not settings.eventgrid_endpoint:
        raise ValueError("NOTIFIER_EVENTGRID_ENDPOINT is required when NOTIFIER_SINK=eventgrid")
    if settings.eventgrid_key is not None:
        credential = AzureKeyCredential(settings.eventgrid_key.get_secret_value())
    else:
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return EventGridPublisherClient(settings.eventgrid_endpoint, credential)


class EventGridDispatcher:
    def __init__(self, settings: NotifierSettings, *, source: EventSource, ack: EventAck,
                 publisher: EventGridPublisherClient | None = None) -> None:
        self.settings = settings
        self.source = source
        self.ack = ack
        self.publisher = publisher or open_publisher(settings)

    async def publish_once(self) -> int:
        events = await self.source(self.settings.poll_batch)
        if not events:
            return 0
        batch = [to_azure(e, data) for e in events
                 if (data := payload(e, self.settings.eventgrid_precision)) is not None]
        if batch:
            try:
                await self.publisher.send(batch)
            except AzureError:
                ATTEMPTS.labels("retry").inc(len(batch))
                raise
            ATTEMPTS.labels("delivered").inc(len(batch))
        await self.ack([e.id for e in events])
        EVENTS.inc(len(events))
        return len(events)

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.publish_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("Event Grid publish failed; retrying")
                await asyncio.sleep(self.settings.poll_interval_s)
        finally:
            await self.publisher.close()
