"""The notifier's two loops: take events over from ingest's outbox (deliveries recorded
here, then acknowledged there) and deliver what is due, retrying with exponential back-off
until delivered or dead-lettered.

At least once: an event leaves the outbox only after its deliveries are recorded here, and
a delivery stays pending until a 2xx; the CloudEvent id is the subscriber's idempotency key
(a delivery whose 2xx was lost is sent again with the same id).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx

from ailurus_common.contracts.events import OutboxEvent, matches, payload
from ailurus_common.records import utc_now
from notifier.config import NotifierSettings
from notifier.errors import WebhookRefused
from notifier.metrics import ATTEMPTS, EVENTS
from notifier.store import DeliveryStore, Due
from notifier.webhook import check_target, deliver

log = logging.getLogger(__name__)

EventSource = Callable[[int], Awaitable[list[OutboxEvent]]]  # the next pending events, at most n
EventAck = Callable[[list[str]], Awaitable[object]]


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """The wait after the ``attempts``-th failed attempt: base, 2 base, 4 base ... up to max."""
    return min(max_s, base_s * 2 ** (attempts - 1))


class Dispatcher:
    def __init__(self, settings: NotifierSettings, store: DeliveryStore, *, source: EventSource, ack: EventAck,
                 client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.store = store
        self.source = source
        self.ack = ack
        self.client = client

    async def take_over_once(self) -> int:
        """One pass over the outbox; returns how many events were taken over."""
        events = await self.source(self.settings.poll_batch)
        if not events:
            return 0
        subscriptions = await self.store.list_subscriptions()
        planned = [(s.id, e) for e in events for s in subscriptions
                   if matches(s, e) and payload(e, s.precision) is not None]
        await self.store.take_over(planned)
        await self.ack([e.id for e in events])
        EVENTS.inc(len(events))
        return len(events)

    async def deliver_once(self) -> int:
        """Send every delivery due now; returns how many were attempted."""
        due = await self.store.due(limit=self.settings.delivery_concurrency * 4)
        limiter = asyncio.Semaphore(self.settings.delivery_concurrency)

        async def attempt(item: Due) -> None:
            async with limiter:
                await self._attempt(item)

        await asyncio.gather(*(attempt(d) for d in due))
        return len(due)

    async def _attempt(self, item: Due) -> None:
        data = payload(item.event, item.subscription.precision)
        try:
            # Resolved and checked again now: the name may point elsewhere than at subscribe time.
            target = await check_target(item.subscription.url, self.settings.webhook_allowed_hosts)
        except WebhookRefused as exc:
            outcome_ok, code, error = False, None, exc.message
        else:
            outcome = await deliver(self.client, target, item.event, data or {}, item.secret)
            outcome_ok, code, error = outcome.ok, outcome.status_code, outcome.error
        attempts = item.attempts + 1
        next_at = None
        if not outcome_ok and attempts < self.settings.max_attempts:
            next_at = utc_now() + timedelta(seconds=backoff_s(attempts, base_s=self.settings.retry_base_s,
                                                              max_s=self.settings.retry_max_s))
        ATTEMPTS.labels("delivered" if outcome_ok else "retry" if next_at else "dead_lettered").inc()
        await self.store.record_attempt(item.subscription.id, item.event.id, delivered=outcome_ok, status_code=code,
                                        error=error, next_attempt_at=next_at)

    async def run(self) -> None:
        """Both passes, forever; a failing pass is logged and retried (never crashes)."""
        while True:
            try:
                while await self.take_over_once() >= self.settings.poll_batch:
                    pass
                await self.deliver_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifier pass failed; retrying")
            await asyncio.sleep(self.settings.poll_interval_s)
