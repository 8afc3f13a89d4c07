"""Retries and the dead-letter list, on the notifier's real stores and HTTP client: a
webhook that never answers is tried ``max_attempts`` times with growing waits, then
dead-lettered; a target refused at delivery time (SSRF check after DNS) is never sent to."""

import asyncio
from datetime import UTC, datetime

import httpx

from ailurus_common.contracts.events import EventType, OutboxEvent, SubscriptionCreate
from ailurus_common.domain import Group
from ailurus_tools.processes import free_port
from ingest.store.sqlite import SqliteMetadataStore
from notifier.config import NotifierSettings
from notifier.dispatcher import Dispatcher
from notifier.store import DeliveryStore


async def _run(tmp_path, url: str, allowed: list[str]):
    outbox = SqliteMetadataStore(tmp_path / "m.sqlite3")
    store = DeliveryStore(tmp_path / "n.sqlite3")
    await outbox.start()
    await store.start()
    settings = NotifierSettings(max_attempts=3, retry_base_s=0.05, retry_max_s=0.2, webhook_timeout_s=1,
                                webhook_allowed_hosts=allowed, log_json=False)
    subscription = await store.create_subscription(SubscriptionCreate(url=url, secret="x" * 16), created_by="admin")
    await outbox.append_events([OutboxEvent(id="e1", type=EventType.MEDIA_CLASSIFIED, time=datetime.now(UTC),
                                            trap_id="t1", group=Group.BIRD, data={
                                                "media_id": "m", "trap_id": "t1", "group": "bird", "label": "x",
                                                "confidence": 0.5, "timestamp": "2026-12-01T00:00:00Z", "model": None})])
    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=1) as client:
            dispatcher = Dispatcher(settings, store, source=lambda n: outbox.pending_events(limit=n),
                                    ack=outbox.ack_events, client=client)
            assert await dispatcher.take_over_once() == 1
            assert await outbox.pending_events(limit=10) == []
            for _ in range(100):
                await dispatcher.deliver_once()
                [delivery] = await store.deliveries(subscription.id)
                if delivery.status != "pending":
                    break
                await asyncio.sleep(0.05)
            return delivery, await store.deliveries(subscription.id, status="dead_lettered"), await store.totals()
    finally:
        await store.close()
        await outbox.close()


async def test_a_webhook_that_never_answers_is_dead_lettered_after_max_attempts(tmp_path):
    delivery, dead, totals = await _run(tmp_path, f"http://127.0.0.1:{free_port()}/hook", ["127.0.0.1"])
    assert delivery.status == "dead_lettered" and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert "ConnectError" in delivery.last_error
    assert [d.event_id for d in dead] == ["e1"]
    assert totals == {"pending": 0, "delivered": 0, "dead_lettered": 1, "retries": 2}


async def test_a_target_no_longer_allowed_at_delivery_time_is_never_sent_to(tmp_path):
    # Subscribed while allowed; the allow-list at delivery (the DNS answer's check) refuses it.
    delivery, _, _ = await _run(tmp_path, f"http://127.0.0.1:{free_port()}/hook", [])
    assert delivery.status == "dead_lettered" and delivery.last_status_code is None
    assert "not a public address" in delivery.last_error
